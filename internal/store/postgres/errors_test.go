package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/semaflow/semaflow/api/wfv1"
	"github.com/semaflow/semaflow/internal/store"
	"github.com/semaflow/semaflow/internal/testkit"
)

// TestStoreErrorCodes: SQLSTATE codes and connection failures map to the
// store's sentinels; the original error stays in the chain.
func TestStoreErrorCodes(t *testing.T) {
	s := &Store{name: "u@h:5432/db", opts: Options{BusyTimeout: time.Second}}
	pg := func(code string) error { return fmt.Errorf("exec: %w", &pgconn.PgError{Severity: "ERROR", Code: code}) }
	for _, c := range []struct {
		err  error
		want error
	}{
		{pg("23505"), store.ErrExists},
		{pg("53100"), store.ErrNoSpace},
		{pg("55P03"), store.ErrBusy},
		{pg("40P01"), store.ErrBusy},
		{pg("40001"), store.ErrBusy},
		{pg("08006"), store.ErrUnavailable},
		{pg("57P01"), store.ErrUnavailable},
		{pg("57P02"), store.ErrUnavailable},
		{pg("57P03"), store.ErrUnavailable},
		{pg("53300"), store.ErrUnavailable},
		{pg("25P03"), store.ErrUnavailable},
		{pgx.ErrNoRows, store.ErrNotFound},
		{io.ErrUnexpectedEOF, store.ErrUnavailable},
		{fmt.Errorf("read: %w", pgconn.ErrConnClosed), store.ErrUnavailable},
	} {
		got := s.storeError(context.Background(), "do it", c.err)
		if !errors.Is(got, c.want) || !errors.Is(got, c.err) {
			t.Errorf("%v: mapped to %v, want %v wrapping it", c.err, got, c.want)
		}
	}
	if got := s.storeError(context.Background(), "do it", pg("42P01")); errors.Is(got, store.ErrUnavailable) || !strings.Contains(got.Error(), "do it") {
		t.Errorf("an undefined table: %v, want a plain error naming what was done", got)
	}
}

// TestPasswordNeverShown: the DSN's password appears in no error, whether
// the DSN cannot be parsed or the server cannot be reached.
func TestPasswordNeverShown(t *testing.T) {
	const pw = "s3cr3t-Pa55"
	port := strconv.Itoa(closedPort(t))
	for _, dsn := range []string{
		"postgres://semaflow:" + pw + "@127.0.0.1:" + port + "/db?sslmode=disable&connect_timeout=5",
		"postgres://semaflow:" + pw + "@127.0.0.1:notaport/db",
		"postgres://semaflow:" + pw + "@127.0.0.1:" + port + "/db?sslmode=bogus",
		"host=127.0.0.1 port=" + port + " user=semaflow password=" + pw + " dbname=db sslmode=disable connect_timeout=5",
		"host=127.0.0.1 port=x password='" + pw + "'",
		"postgresql://semaflow:" + pw + "@[::1/db",
	} {
		_, err := Open(context.Background(), dsn)
		if err == nil {
			t.Fatalf("%s opened", dsn)
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

// closedPort is a local port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestUnreachableIsUnavailable: a server that cannot be reached is
// store.ErrUnavailable, naming the database (not its password).
func TestUnreachableIsUnavailable(t *testing.T) {
	dsn := "postgres://semaflow:pw@127.0.0.1:" + strconv.Itoa(closedPort(t)) + "/db?sslmode=disable&connect_timeout=5"
	_, err := Open(context.Background(), dsn)
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "semaflow@127.0.0.1:") {
		t.Fatalf("opening an unreachable database: %v, want ErrUnavailable naming it", err)
	}
}

// TestLockTimeoutIsBusy: a claim that waits longer than BusyTimeout for
// another node's claim fails with store.ErrBusy and changes nothing.
func TestLockTimeoutIsBusy(t *testing.T) {
	dsn := testkit.NewDatabase(t)
	holder := openTest(t, dsn, Options{})
	waiter := openTest(t, dsn, Options{BusyTimeout: 200 * time.Millisecond})
	ctx := t.Context()
	claimed, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- holder.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.ClaimLocks(ctx, "holder"); err != nil {
				return err
			}
			close(claimed)
			<-release
			return nil
		})
	}()
	<-claimed
	err := waiter.Update(ctx, func(tx store.Tx) error {
		_, err := tx.ClaimLocks(ctx, "waiter")
		return err
	})
	close(release)
	if !errors.Is(err, store.ErrBusy) {
		t.Fatalf("a claim behind a claim held past the busy timeout: %v, want ErrBusy", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestSwallowedErrorRollsBack: a caller that goes on after a failed
// statement cannot commit the rest; the error says why.
func TestSwallowedErrorRollsBack(t *testing.T) {
	s := openTest(t, testkit.NewDatabase(t), Options{})
	ctx := t.Context()
	err := s.Update(ctx, func(tx store.Tx) error {
		_ = tx.PutNodes(ctx, "no-such-workflow", []wfv1.NodeStatus{{ID: "n"}})
		return tx.PutObject(ctx, store.Object{Kind: "ConfigMap", Namespace: "default", Name: "x", Doc: []byte(`{}`)})
	})
	if err == nil || !strings.Contains(err.Error(), "no-such-workflow") {
		t.Fatalf("commit after a failed statement: %v, want an error naming it", err)
	}
}

// TestExistsKeepsTransaction: ErrExists does not end the transaction: the
// caller may go on and commit.
func TestExistsKeepsTransaction(t *testing.T) {
	s := openTest(t, testkit.NewDatabase(t), Options{})
	ctx := t.Context()
	wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Namespace: "default", Name: "a", UID: "u1"}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Update(ctx, func(tx store.Tx) error { return tx.CreateWorkflow(ctx, wf) }))
	must(s.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(ctx, wf); !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("second create: %w", err)
		}
		if err := tx.OpenSession(ctx, store.Session{ID: "s"}); err != nil {
			return err
		}
		if err := tx.OpenSession(ctx, store.Session{ID: "s"}); !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("second session: %w", err)
		}
		return tx.PutObject(ctx, store.Object{Kind: "ConfigMap", Namespace: "default", Name: "after", Doc: []byte(`{}`)})
	}))
}

// TestEventTextStored: an event message PostgreSQL's TEXT would refuse
// (a NUL byte, invalid UTF-8: a step's output quoted) is stored mended
// rather than failing the write.
func TestEventTextStored(t *testing.T) {
	s := openTest(t, testkit.NewDatabase(t), Options{})
	ctx := t.Context()
	wf := &wfv1.Workflow{Metadata: wfv1.ObjectMeta{Namespace: "default", Name: "a", UID: "u1"}}
	var got []store.Event
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateWorkflow(ctx, wf); err != nil {
			return err
		}
		if err := tx.AppendEvents(ctx, []store.Event{{WorkflowUID: "u1", Type: "Warning", Message: "bad\x00byte \xff end", At: time.Unix(1, 0)}}); err != nil {
			return err
		}
		var err error
		got, err = tx.Events(ctx, "u1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Message != "bad\uFFFDbyte \uFFFD end" {
		t.Fatalf("events %+v", got)
	}
}
