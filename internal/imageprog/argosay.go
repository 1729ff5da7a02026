package imageprog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Argosay does what argoproj/argosay:v2's /argosay script does with
// args (the verb and its operands) and returns its exit status. That
// script runs under dash with `set -eu`, so a missing operand is an
// error (status 2), echo interprets backslash escapes, and an unknown
// verb exits 1.
func Argosay(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		_, _ = fmt.Fprintln(stdout, "hello argo")
		return 0
	}
	operand := func(i int) (string, bool) {
		if i < len(args) {
			return args[i], true
		}
		_, _ = fmt.Fprintf(stderr, "/argosay: %d: parameter not set\n", i+1)
		return "", false
	}
	switch args[0] {
	case "":
		_, _ = fmt.Fprintln(stdout, "hello argo")
		return 0
	case "assert_contains":
		file, ok1 := operand(1)
		text, ok2 := operand(2)
		if !ok1 || !ok2 {
			return 2
		}
		return grepFixed(file, text, stdout, stderr)
	case "cat":
		file, ok := operand(1)
		if !ok {
			return 2
		}
		return catFile(file, stdout, stderr)
	case "echo":
		return argosayEcho(args, stdout, stderr)
	case "exit":
		code := "0"
		if len(args) > 1 && args[1] != "" {
			code = args[1]
		}
		n, err := strconv.ParseUint(code, 10, 64)
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "/argosay: exit: Illegal number: %s\n", code)
			return 2
		}
		return int(n & 0xff)
	case "sleep":
		d, ok := operand(1)
		if !ok {
			return 2
		}
		return sleepFor(d, stderr)
	case "sh":
		script := "0"
		if len(args) > 1 && args[1] != "" {
			script = args[1]
		}
		cmd := exec.Command("sh", script)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
		return runStatus(cmd.Run())
	default:
		return 1
	}
}

// argosayEcho: no message says hello, one is printed, a file after it
// receives it instead (its directory made first); more operands match
// no branch of the script's case, which then does nothing.
func argosayEcho(args []string, stdout, stderr io.Writer) int {
	switch len(args) {
	case 1:
		_, _ = fmt.Fprintln(stdout, "hello argo")
	case 2:
		_, _ = io.WriteString(stdout, dashEcho(args[1]))
	case 3:
		path := args[2]
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			_, _ = fmt.Fprintf(stderr, "mkdir: %v\n", err)
			return 1
		}
		if err := os.WriteFile(path, []byte(dashEcho(args[1])), 0o666); err != nil {
			_, _ = fmt.Fprintf(stderr, "/argosay: cannot create %s: %v\n", path, errors.Unwrap(err))
			return 2
		}
	}
	return 0
}

// dashEcho is what dash's echo prints for one operand: backslash
// escapes interpreted, `\c` ending the output, then a newline.
func dashEcho(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'c':
			return b.String()
		case 'e':
			b.WriteByte(0x1b)
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '\\':
			b.WriteByte('\\')
		case '0':
			// Up to three octal digits after the 0.
			n, j := 0, i+1
			for ; j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7'; j++ {
				n = n*8 + int(s[j]-'0')
			}
			b.WriteByte(byte(n))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	b.WriteByte('\n')
	return b.String()
}

// grepFixed prints file's lines that contain text, as grep -F: status 0
// if one did, 1 if none, 2 if the file cannot be read.
func grepFixed(file, text string, stdout, stderr io.Writer) int {
	f, err := os.Open(file)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "grep: %s: %v\n", file, errors.Unwrap(err))
		return 2
	}
	defer f.Close()
	status := 1
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if bytes.Contains(bytes.TrimSuffix(line, []byte("\n")), []byte(text)) {
			status = 0
			if !bytes.HasSuffix(line, []byte("\n")) {
				line = append(line, '\n')
			}
			_, _ = stdout.Write(line)
		}
		if err == io.EOF {
			return status
		}
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "grep: %s: %v\n", file, err)
			return 2
		}
	}
}

func catFile(file string, stdout, stderr io.Writer) int {
	f, err := os.Open(file)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "cat: %s: %v\n", file, errors.Unwrap(err))
		return 1
	}
	defer f.Close()
	if _, err := io.Copy(stdout, f); err != nil {
		_, _ = fmt.Fprintf(stderr, "cat: %s: %v\n", file, err)
		return 1
	}
	return 0
}

// sleepFor sleeps as coreutils' sleep does for one operand: a number of
// seconds, with an optional s, m, h or d suffix. An interval too long to
// count (or inf) sleeps until the step is killed, as sleep(1) does with
// one past its range, never zero.
func sleepFor(arg string, stderr io.Writer) int {
	unit := time.Second
	num := arg
	if n := len(arg); n > 0 {
		switch arg[n-1] {
		case 's':
			num = arg[:n-1]
		case 'm':
			unit, num = time.Minute, arg[:n-1]
		case 'h':
			unit, num = time.Hour, arg[:n-1]
		case 'd':
			unit, num = 24*time.Hour, arg[:n-1]
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || f != f || num == "" || strings.ContainsAny(num, "xXpP") {
		_, _ = fmt.Fprintf(stderr, "sleep: invalid time interval '%s'\n", arg)
		return 1
	}
	d := time.Duration(math.MaxInt64)
	if total := f * float64(unit); total < float64(math.MaxInt64) {
		d = time.Duration(total)
	}
	time.Sleep(d) // at most 292 years: until the step's timeout or a stop
	return 0
}

func runStatus(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return 127
}
