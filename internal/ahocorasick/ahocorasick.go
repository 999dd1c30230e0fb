// Package ahocorasick finds every occurrence of a fixed set of byte strings in
// one pass over a text (Aho & Corasick, 1975). aup compiles all terms of all
// rule lists into one Matcher, so matching costs the same whether a list has
// ten entries or ten thousand.
package ahocorasick

import "sort"

// Matcher is an immutable automaton; it is safe for concurrent use.
type Matcher struct {
	root [256]int32 // the root's transitions, dense: the hot path starts here
	// Sparse transitions of the other states: edges[first[s]:first[s+1]],
	// sorted by label.
	first  []int32
	labels []byte
	next   []int32
	fail   []int32
	// Patterns ending at state s: out[outFirst[s]:outFirst[s+1]]; dict[s] is
	// the nearest state on the failure chain with outputs, or -1.
	outFirst []int32
	out      []int32
	dict     []int32
	lens     []int32 // pattern lengths
}

type node struct {
	edges map[byte]int32
	out   []int32
}

// New compiles patterns. Empty patterns are ignored; a pattern's index in
// patterns is the id that Find reports.
func New(patterns []string) *Matcher {
	nodes := []node{{}}
	m := &Matcher{lens: make([]int32, len(patterns))}
	for id, p := range patterns {
		m.lens[id] = int32(len(p))
		if p == "" {
			continue
		}
		s := int32(0)
		for i := 0; i < len(p); i++ {
			n := &nodes[s]
			t, ok := n.edges[p[i]]
			if !ok {
				t = int32(len(nodes))
				if n.edges == nil {
					n.edges = map[byte]int32{}
				}
				n.edges[p[i]] = t
				nodes = append(nodes, node{})
			}
			s = t
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}

	// Breadth-first order gives failure links from shallower states.
	n := len(nodes)
	m.fail = make([]int32, n)
	m.dict = make([]int32, n)
	m.dict[0] = -1
	queue := make([]int32, 0, n)
	for b, t := range nodes[0].edges {
		m.root[b] = t
		queue = append(queue, t)
		m.dict[t] = -1
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		for b, t := range nodes[s].edges {
			f := m.fail[s]
			for f != 0 && nodes[f].edges[b] == 0 {
				f = m.fail[f]
			}
			if ft, ok := nodes[f].edges[b]; ok && ft != t {
				m.fail[t] = ft
			}
			ft := m.fail[t]
			if len(nodes[ft].out) > 0 {
				m.dict[t] = ft
			} else {
				m.dict[t] = m.dict[ft]
			}
			queue = append(queue, t)
		}
	}

	m.first = make([]int32, n+1)
	m.outFirst = make([]int32, n+1)
	for s := range nodes {
		m.first[s] = int32(len(m.labels))
		keys := make([]byte, 0, len(nodes[s].edges))
		for b := range nodes[s].edges {
			keys = append(keys, b)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		for _, b := range keys {
			m.labels = append(m.labels, b)
			m.next = append(m.next, nodes[s].edges[b])
		}
		m.outFirst[s] = int32(len(m.out))
		m.out = append(m.out, nodes[s].out...)
	}
	m.first[n] = int32(len(m.labels))
	m.outFirst[n] = int32(len(m.out))
	return m
}

// step returns the transition from s on b, or -1.
func (m *Matcher) step(s int32, b byte) int32 {
	if s == 0 {
		return m.root[b] // 0 means "stay at the root"
	}
	lo, hi := m.first[s], m.first[s+1]
	for i := lo; i < hi; i++ {
		if l := m.labels[i]; l == b {
			return m.next[i]
		} else if l > b {
			break
		}
	}
	return -1
}

// Find calls fn for every occurrence of every pattern in text, in order of
// the occurrence's end, with the pattern's id and its [start, end) offsets.
// Find stops early when fn returns false.
func (m *Matcher) Find(text string, fn func(id, start, end int) bool) {
	s := int32(0)
	for i := 0; i < len(text); i++ {
		b := text[i]
		t := m.step(s, b)
		for t < 0 {
			s = m.fail[s]
			t = m.step(s, b)
		}
		s = t
		for o := s; o > 0; o = m.dict[o] {
			for _, id := range m.out[m.outFirst[o]:m.outFirst[o+1]] {
				if !fn(int(id), i+1-int(m.lens[id]), i+1) {
					return
				}
			}
		}
	}
}
