package bot

import (
	"sort"
	"strings"
)

// Library is the set of scenarios the bot can run, keyed by id.
type Library struct {
	byID  map[string]*Scenario
	order []*Scenario // sorted by difficulty, then id
}

// NewLibrary indexes prepared scenarios. A later scenario with the same id
// replaces an earlier one, so a user's directory can override a built-in.
func NewLibrary(scenarios ...*Scenario) *Library {
	l := &Library{byID: make(map[string]*Scenario)}
	for _, sc := range scenarios {
		l.byID[sc.ID] = sc
	}
	for _, sc := range l.byID {
		l.order = append(l.order, sc)
	}
	sort.Slice(l.order, func(i, j int) bool {
		a, b := l.order[i], l.order[j]
		if ra, rb := difficultyRank(a.Difficulty), difficultyRank(b.Difficulty); ra != rb {
			return ra < rb
		}
		return a.ID < b.ID
	})
	return l
}

func difficultyRank(d Difficulty) int {
	switch d {
	case Easy:
		return 0
	case Medium:
		return 1
	}
	return 2
}

// All returns every scenario, easiest first.
func (l *Library) All() []*Scenario { return l.order }

// Len is the number of scenarios.
func (l *Library) Len() int { return len(l.order) }

// Get returns the scenario with exactly this id.
func (l *Library) Get(id string) (*Scenario, bool) {
	sc, ok := l.byID[id]
	return sc, ok
}

// Resolve finds a scenario by id or unambiguous id prefix. When nothing
// matches exactly it returns the candidates: every id with that prefix when
// the prefix is ambiguous, else up to three closest ids by edit distance.
func (l *Library) Resolve(query string) (sc *Scenario, candidates []string) {
	q := strings.ToLower(strings.TrimSpace(query))
	if sc, ok := l.byID[q]; ok {
		return sc, nil
	}
	var prefixed []*Scenario
	for _, s := range l.order {
		if strings.HasPrefix(s.ID, q) {
			prefixed = append(prefixed, s)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0], nil
	}
	if len(prefixed) > 1 {
		for _, s := range prefixed {
			candidates = append(candidates, s.ID)
		}
		return nil, candidates
	}
	type scored struct {
		id   string
		dist int
	}
	var all []scored
	for _, s := range l.order {
		d := editDistance(q, s.ID)
		if len(q) < len(s.ID) {
			// A misspelled prefix ("podcst" for "podcast-recommendation")
			// is as near as its distance to the id's start.
			d = min(d, editDistance(q, s.ID[:len(q)]))
		}
		all = append(all, scored{s.ID, d})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].dist < all[j].dist })
	// Suggest only near misses: within a third of the query's length, and
	// no further than one edit beyond the best match.
	limit := max(2, len(q)/3)
	for _, s := range all {
		if len(candidates) == 3 || s.dist > limit || s.dist > all[0].dist+1 {
			break
		}
		candidates = append(candidates, s.id)
	}
	return nil, candidates
}

// editDistance is the Levenshtein distance between a and b (bytes; ids are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
