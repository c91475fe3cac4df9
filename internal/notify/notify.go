// Package notify holds what the platform tells people about: events (a new
// vulnerability in a shipped release, a release changing status, …) and
// their deliveries to webhook URLs. The store keeps and queues them; the
// background jobs send them.
package notify

import "time"

// Event is something the platform tells people about (a new vulnerability
// in a shipped release, an expired risk acceptance, …).
type Event struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	ProductID int64     `json:"product_id,omitempty"`
	ReleaseID int64     `json:"release_id,omitempty"`
	Subject   string    `json:"subject,omitempty"`
	Title     string    `json:"title"`
	Detail    string    `json:"detail,omitempty"`
}

// Delivery is one event to send to one webhook URL.
type Delivery struct {
	Event    Event
	URL      string
	Attempts int
}
