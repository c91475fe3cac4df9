package web_test

import (
	"github.com/rampart-security/rampart/internal/server/web"
	"github.com/rampart-security/rampart/internal/store"
)

// The store implements the interfaces the path resolvers take.
var _ web.ProductChecker = (*store.Store)(nil)
var _ web.FindingOwner = (*store.Store)(nil)
var _ web.ReleaseOwner = (*store.Store)(nil)
