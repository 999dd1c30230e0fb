package moderation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// ErrorAttrs is what may be logged of an error whose text is not sent: its
// code, the types along its chain and, when the network, the file system or
// the context ended it, what they said ("dial tcp 10.0.0.5:6379: connect:
// connection refused"). Never the error's own text, which can quote what a
// user sent or stored: a field name or value in a JSON error, a member of an
// uploaded archive, a value of a stored document that failed to decode. The
// request id and the route on the request's lines say where to look.
func ErrorAttrs(err error) []any {
	attrs := []any{"code", ErrorCode(err), "error_type", errorTypes(err)}
	if cause := errorCause(err); cause != "" {
		attrs = append(attrs, "cause", cause)
	}
	return attrs
}

// errorTypes names the types along err's chain: "*fmt.wrapError >
// *net.OpError > *os.SyscallError > syscall.Errno", a joined error's
// branches in parentheses.
func errorTypes(err error) string {
	var b strings.Builder
	writeTypes(&b, err, 0)
	return b.String()
}

func writeTypes(b *strings.Builder, err error, depth int) {
	const maxDepth = 16
	for ; err != nil; depth++ {
		if depth == maxDepth {
			b.WriteString("...")
			return
		}
		fmt.Fprintf(b, "%T", err)
		switch u := err.(type) { //nolint:errorlint // walks the chain itself, one link at a time
		case interface{ Unwrap() []error }:
			b.WriteString("(")
			for i, e := range u.Unwrap() {
				if i > 0 {
					b.WriteString("; ")
				}
				writeTypes(b, e, depth+1)
			}
			b.WriteString(")")
			return
		case interface{ Unwrap() error }:
			if err = u.Unwrap(); err != nil {
				b.WriteString(" > ")
			}
		default:
			return
		}
	}
}

// causes are errors of the standard library whose text is fixed.
var causes = []error{os.ErrDeadlineExceeded, context.DeadlineExceeded, context.Canceled, io.ErrUnexpectedEOF, net.ErrClosed}

// errorCause is the text of the system error in err's chain, if any. The
// service opens no file and dials no address a request names, so what these
// say is about its own disks and peers.
func errorCause(err error) string {
	var (
		op    *net.OpError
		dns   *net.DNSError
		path  *os.PathError
		sys   *os.SyscallError
		errno syscall.Errno
	)
	switch {
	case errors.As(err, &op):
		return op.Error()
	case errors.As(err, &dns):
		return dns.Error()
	case errors.As(err, &path):
		return path.Error()
	case errors.As(err, &sys):
		return sys.Error()
	case errors.As(err, &errno):
		return errno.Error()
	}
	for _, c := range causes {
		if errors.Is(err, c) {
			return c.Error()
		}
	}
	return ""
}
