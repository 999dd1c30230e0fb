// Package webhook delivers moderation events from the outbox to the product's
// webhook endpoint, signed with a shared secret so that the receiver can tell
// them from forgeries. The outbox is written in the same transaction as the
// decision that produced the event; a Dispatcher leases due events from it
// (through the Outbox interface declared here), posts them, and removes them
// once the receiver has answered 2xx.
//
// # Delivery
//
// Each event is sent as its own request. With the secret
// "example-secret-0123456789", the first attempt at an event, made at
// 2024-06-01T12:00:00Z, carries these headers (and the usual Host,
// Content-Length and Accept-Encoding) and this body, byte for byte; it
// doubles as a test vector for a receiver's signature check:
//
//	POST <url>
//	Content-Type: application/json
//	User-Agent: aup-webhook/1
//	Aup-Event-Id: evt_1
//	Aup-Event-Type: decision.made
//	Aup-Delivery-Attempt: 1
//	Aup-Signature: t=1717243200,v1=1a5c04c1fcd46dbf7a90034ef3039f343c92e21fbf6de3c0e68d95977b50b2bf
//
//	{"id":"evt_1","type":"decision.made","created_at":"2024-06-01T12:00:00.5Z","data":{"decision_id":"d1"}}
//
// created_at is when the event was made, in UTC, formatted as RFC 3339 with
// as many fractional-second digits as it needs (Go's time.RFC3339Nano), so
// it may have none. data is the event's JSON, null when it has none; its
// shape depends on the type (see the Event* constants in the moderation
// package). Aup-Delivery-Attempt is 1 plus the number of failed attempts
// recorded so far; an attempt cut short by a restart is not recorded, so its
// number can repeat.
//
// Any 2xx answer means delivered; its body is ignored. Anything else is a
// failed attempt: another status (a redirect too, which is never followed),
// no answer within the client timeout (10 s by default), or a network
// error. Response bodies are read up to 4 KiB and discarded, and are never
// logged or stored.
//
// # Guarantees
//
// Delivery is at least once. An event is sent again when its receiver
// answered 2xx but aup did not hear it (a timeout, a dropped connection, a
// restart between the answer and the outbox update), so receivers must
// deduplicate on the event id (the id field, also in Aup-Event-Id). Events
// are not delivered in order: several are in flight at once and a failed one
// goes back behind newer ones. Use created_at, not arrival order, to tell
// which of two events is newer.
//
// A failed event is retried until the receiver answers 2xx, for as long as
// that takes; there is no retry limit and no dead-letter queue. The wait after
// the k-th failure is MinBackoff·2^(k-1), capped at MaxBackoff (1 s doubling
// up to 1 h by default), with up to 20% random jitter either way. While an
// endpoint is down its events are tried about once an hour each, and after it
// recovers they can take up to that long to arrive. Events wait in the
// outbox meanwhile, so an endpoint that is gone for good must be fixed or its
// events removed by an operator.
//
// Several aup instances can share one outbox: each Due call leases the
// events it returns, so an event is in flight from one instance at a time.
// An event whose instance stops or crashes mid-delivery is retried by any
// instance once its lease (1 min by default) expires.
//
// # Verifying a delivery
//
// Aup-Signature is "t=<unix seconds>,v1=<signature>", Stripe style, where the
// signature is the lowercase hex HMAC-SHA256, keyed with the shared secret,
// of the timestamp, a dot and the raw request body:
//
//	signature = hex(HMAC-SHA256(secret, t + "." + body))
//
// t is the time of the attempt, not of the event, so a retry hours later
// carries a fresh timestamp. To verify a delivery, a receiver:
//
//  1. reads the raw body, byte for byte, before parsing it as JSON;
//  2. splits the header on "," and each part on its first "=", taking t and
//     every v1 value and ignoring other keys;
//  3. computes the signature as above and compares it with each v1 value in
//     constant time, accepting the request if any matches;
//  4. rejects it if t is further than a few minutes (DefaultTolerance) from
//     its own clock, which limits the replay of a captured request;
//  5. deduplicates on the event id.
//
// Verify does steps 2 to 4 for receivers written in Go; Sign makes the header.
// Receivers must accept several v1 values, any one of which may match: that
// is how a secret is rotated without a window of rejected deliveries. Until
// aup signs with several secrets at once, rotate by having the receiver accept
// the old and the new secret (verify against each), then changing aup's
// secret, then dropping the old one from the receiver.
//
// # Logging
//
// Each attempt is logged with the event id, type and attempt number, and the
// response status or the class of error ("timeout", "connection refused").
// Event data and request and response bodies are never logged: data can hold
// user ids and the text of decisions.
package webhook
