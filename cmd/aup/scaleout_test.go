package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aup-dev/aup/internal/redistest"
)

// The scale-out tests: several instances share one Redis, and one Redis can
// be a Cluster. TestRateLimitSharedThroughRedis (limits_test.go) covers the
// rate limits of two instances.

// checkBody is the part of a verdict the scale-out tests read.
type checkBody struct {
	Action  string `json:"action"`
	Signals []struct {
		Name   string `json:"name"`
		Detail string `json:"detail"`
	} `json:"signals"`
}

func (c checkBody) wave() string {
	for _, s := range c.Signals {
		if s.Name == "wave" {
			return s.Detail
		}
	}
	return ""
}

// listBody is a page of GET /v1/review/items.
type listBody struct {
	Items []caseBody `json:"items"`
}

// TestServeOnRedisCluster serves against a real three-node Redis Cluster: a
// check, a report, a claim and a decision go through, the review records
// share one hash slot and the verdict cache spreads.
func TestServeOnRedisCluster(t *testing.T) {
	t.Parallel()
	cluster := redistest.StartCluster(t)
	s := startService(t, map[string]string{
		"AUP_REDIS_URL": cluster.URL(), "AUP_PSEUDONYM_KEY": testPseudonymKey, "AUP_API_KEYS": reviewKeys,
	})
	if !strings.Contains(s.logs.String(), "AUP_REDIS_URL names a Redis Cluster") {
		t.Errorf("the start-up log does not say the store is a Cluster:\n%s", s.logs)
	}

	var v checkBody
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/check", backendKey, `{"text":"see you at the garden project on Friday","user_id":"u1"}`, &v)
	if v.Action != "allow" {
		t.Errorf("check: action %q, want allow", v.Action)
	}
	r := fileReport(t, s.base, "r1", "n1", "u1")
	var c caseBody
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/review/items/"+r.CaseID+"/claim", modAKey, "", &c)
	if c.Lease == nil || c.Lease.Moderator != "alice" {
		t.Fatalf("claim: %+v", c)
	}
	var out outcomeBody
	must(t, http.StatusOK, http.MethodPost, s.base+"/v1/review/items/"+r.CaseID+"/decision", modAKey, removeSpam, &out)
	if out.Decision == nil || out.Decision.Moderator != "alice" || out.Case.Status != "closed" {
		t.Fatalf("decision: %+v", out)
	}
	var rep reportBody
	must(t, http.StatusOK, http.MethodGet, s.base+"/v1/reports/"+r.ID, backendKey, "", &rep)
	if rep.Outcome != "upheld" || rep.DecisionID != out.Decision.ID {
		t.Errorf("report after the decision: %+v", rep)
	}

	// Where the keys went: every record on one node in the slot of {aup},
	// the cached verdict and the wave count in slots of their own.
	ctx := t.Context()
	client := cluster.Client(t)
	recordSlot := client.ClusterKeySlot(ctx, "{aup}:").Val()
	var records, cached int
	for _, n := range cluster.Nodes {
		nc := redis.NewClient(&redis.Options{Addr: n.Addr})
		keys, err := nc.Keys(ctx, "*").Result()
		nc.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			switch {
			case strings.HasPrefix(k, "{aup}:"):
				records++
				if slot := client.ClusterKeySlot(ctx, k).Val(); slot != recordSlot {
					t.Errorf("record %q in slot %d, not %d", k, slot, recordSlot)
				}
			case strings.HasPrefix(k, "aup:verdict:{"), strings.HasPrefix(k, "aup:wave:{"):
				cached++
			default:
				t.Errorf("key %q is neither a record nor a cache or wave key", k)
			}
		}
	}
	if records == 0 || cached < 2 {
		t.Errorf("%d record keys and %d cache and wave keys, want some of each", records, cached)
	}
}

// TestTwoInstancesShareOneRedis runs two instances on one Redis: a report
// through one is in the other's queue, a claim through one holds the case
// against the other until its lease ends, and the users who send a text
// through either count towards one spam wave.
func TestTwoInstancesShareOneRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := startService(t, reviewEnv(srv, "AUP_LEASE", "2s"))
	b := startService(t, reviewEnv(srv, "AUP_LEASE", "2s"))

	t.Run("queue and leases", func(t *testing.T) {
		r := fileReport(t, a.base, "r1", "n1", "u1")
		var list listBody
		must(t, http.StatusOK, http.MethodGet, b.base+"/v1/review/items", modBKey, "", &list)
		if !slices.ContainsFunc(list.Items, func(c caseBody) bool { return c.ID == r.CaseID }) {
			t.Fatalf("case %s reported through A is not in B's queue: %+v", r.CaseID, list.Items)
		}

		var held caseBody
		must(t, http.StatusOK, http.MethodPost, a.base+"/v1/review/items/"+r.CaseID+"/claim", modAKey, "", &held)
		if held.Lease == nil || held.Lease.Moderator != "alice" {
			t.Fatalf("alice's claim through A: %+v", held)
		}
		// While alice's lease runs, bob gets nothing through B. The checks
		// hold only for answers that came back before the lease's end.
		code, err := call(http.MethodPost, b.base+"/v1/review/items/"+r.CaseID+"/claim", modBKey, "", nil)
		if code != http.StatusConflict && time.Now().Before(held.Lease.Until) {
			t.Errorf("bob's claim of alice's case through B: %d %v, want 409", code, err)
		}
		got := claimAfterLease(t, b.base, modBKey, held)
		if got.ID != r.CaseID || got.Lease == nil || got.Lease.Moderator != "bob" {
			t.Fatalf("bob's claim through B: %+v, want case %s leased to bob", got, r.CaseID)
		}
		if code, _ := call(http.MethodPost, a.base+"/v1/review/items/"+r.CaseID+"/decision", modAKey, removeSpam, nil); code != http.StatusConflict {
			t.Errorf("alice decided through A after bob claimed through B: status %d, want 409", code)
		}
		var out outcomeBody
		must(t, http.StatusOK, http.MethodPost, b.base+"/v1/review/items/"+r.CaseID+"/decision", modBKey, removeSpam, &out)
		var rep reportBody
		must(t, http.StatusOK, http.MethodGet, a.base+"/v1/reports/"+r.ID, backendKey, "", &rep)
		if out.Decision == nil || rep.DecisionID != out.Decision.ID {
			t.Errorf("report through A after bob's decision through B: %+v, decision %+v", rep, out.Decision)
		}
	})

	t.Run("spam wave", func(t *testing.T) {
		// rules/any/spam.rules: $wave | users=5 window=10m.
		const text = "join the garden project on friday, bring a friend and some seeds"
		bases := []string{a.base, b.base, a.base, b.base, a.base}
		for i, base := range bases {
			var v checkBody
			body := fmt.Sprintf(`{"text":%q,"user_id":"wave-user-%d"}`, text, i+1)
			must(t, http.StatusOK, http.MethodPost, base+"/v1/check", backendKey, body, &v)
			switch got := v.wave(); {
			case i+1 < len(bases) && got != "":
				t.Errorf("user %d of %d: wave signal %q already", i+1, len(bases), got)
			case i+1 == len(bases) && got != "5 users sent this text":
				t.Errorf("user 5, the third through A and two through B: wave signal %q, want 5 users", got)
			}
		}
	})
}
