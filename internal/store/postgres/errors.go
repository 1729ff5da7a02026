package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/semaflow/semaflow/internal/store"
)

// storeError is the one place where what pgx and PostgreSQL return
// becomes the store's sentinel errors: every statement, begin and commit
// of this driver passes its error through it, with what it was doing. It
// reads SQLSTATE codes and error types, never message text. The sentinel
// is wrapped beside the original, so callers test errors.Is(err,
// store.ErrX) and logs keep PostgreSQL's own words.
//
//   - no row is store.ErrNotFound; a method for which no row means
//     something else says so (BindSession: store.ErrSessionLost);
//   - unique_violation is store.ErrExists;
//   - lock_not_available (lock_timeout passed), deadlock_detected and
//     serialization_failure are store.ErrBusy;
//   - disk_full is store.ErrNoSpace;
//   - a lost or refused connection, a server shutting down or starting,
//     too many connections, and a transaction the server ended are
//     store.ErrUnavailable;
//   - the caller's cancelled context stays a context error.
//
// An error that already carries a store sentinel passes unchanged.
func (s *Store) storeError(ctx context.Context, what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNoSpace), errors.Is(err, store.ErrExists), errors.Is(err, store.ErrNotFound),
		errors.Is(err, store.ErrSessionLost), errors.Is(err, store.ErrBadContinue), errors.Is(err, store.ErrBusy),
		errors.Is(err, store.ErrUnavailable):
		return err
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)):
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch code := pe.Code; {
		case code == "23505":
			return fmt.Errorf("%w: %w", store.ErrExists, err)
		case code == "53100":
			return fmt.Errorf("%s: PostgreSQL %s: %w (%w)", what, s.name, store.ErrNoSpace, err)
		case code == "55P03", code == "40P01", code == "40001":
			return fmt.Errorf("%s: PostgreSQL %s: %w: another transaction held a row lock this one needed for over %s, "+
				"or the two deadlocked (a node stopped mid-write, or stuck): nothing of this one was committed (%w)",
				what, s.name, store.ErrBusy, s.opts.BusyTimeout, err)
		case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03", code == "53300", code == "25P03":
			return s.unavailable(what, err)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if lostConnection(err) {
		return s.unavailable(what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (s *Store) unavailable(what string, err error) error {
	return fmt.Errorf("%s: PostgreSQL %s: %w (%w)", what, s.name, store.ErrUnavailable, err)
}

// lostConnection says whether err means the connection failed rather
// than the statement: it could not be made, or broke.
func lostConnection(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// scrub removes from msg any password dsn holds, in URL or keyword=value
// form: pgx masks passwords in its messages, but only those it could
// parse out.
func scrub(msg, dsn string) string {
	for _, pw := range passwords(dsn) {
		if pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

var (
	kvPassword    = regexp.MustCompile(`password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s]*)`)
	urlPassword   = regexp.MustCompile(`^[a-z]+://[^:/@]*:([^@]*)@`)
	queryPassword = regexp.MustCompile(`[?&]password=([^&]*)`)
)

// passwords are what in dsn may be a password, parsed or not.
func passwords(dsn string) []string {
	var out []string
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			out = append(out, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	if m := urlPassword.FindStringSubmatch(dsn); m != nil {
		out = append(out, m[1])
	}
	for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
		out = append(out, strings.Trim(m[1], "'"))
	}
	for _, m := range queryPassword.FindAllStringSubmatch(dsn, -1) {
		out = append(out, m[1])
	}
	return out
}
