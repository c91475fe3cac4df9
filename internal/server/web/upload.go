package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/spool"
)

// Upload receives an upload completely before anything touches the store:
// the raw request body (field empty; the file name from ?filename=, else
// fallback) or the multipart form file field (the name the browser sent),
// copied to a temporary file of at most max bytes (max <= 0: no limit
// beyond the route's MaxBody). Every upload route goes through Upload, so
// no database transaction waits for a slow client. The caller closes the
// file.
func Upload(r *http.Request, field string, max int64, fallback string) (*spool.File, string, error) {
	if field == "" {
		name := r.URL.Query().Get("filename")
		if name == "" {
			name = fallback
		}
		f, err := spool.New(r.Body, max, "", name)
		return f, name, err
	}
	file, hdr, err := r.FormFile(field)
	if mb := (*http.MaxBytesError)(nil); errors.As(err, &mb) {
		return nil, "", &fault.Error{Kind: fault.KindInvalid, Field: field, Err: spool.ErrTooLarge,
			Msg: fmt.Sprintf("the upload is larger than the limit of %d MiB: split it or raise --max-upload", mb.Limit>>20)}
	}
	if err != nil {
		return nil, "", fault.Invalid(field, "choose a file to upload in the %q field", field)
	}
	defer file.Close()
	f, err := spool.New(file, max, "", hdr.Filename)
	return f, hdr.Filename, err
}
