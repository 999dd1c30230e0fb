package lingua

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

// note is one realistic note from testdata/notes.jsonl.
type note struct {
	Lang string `json:"lang"`
	Text string `json:"text"`
}

func loadNotes(tb testing.TB) []note {
	tb.Helper()
	f, err := os.Open("testdata/notes.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var ns []note
	s := bufio.NewScanner(f)
	for s.Scan() {
		var n note
		if err := json.Unmarshal(s.Bytes(), &n); err != nil {
			tb.Fatal(err)
		}
		ns = append(ns, n)
	}
	if err := s.Err(); err != nil {
		tb.Fatal(err)
	}
	return ns
}
