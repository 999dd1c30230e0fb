package review

import (
	"math"
	"slices"

	"github.com/aup-dev/aup/internal/moderation"
)

// severity is how much harm a category can do, from 0 to 1. It sets a case's
// lane and most of its priority.
var severity = map[moderation.Category]float64{
	moderation.ChildSafety:     1.0,
	moderation.SelfHarm:        0.95,
	moderation.Violence:        0.9,
	moderation.Hate:            0.75,
	moderation.Harassment:      0.7,
	moderation.Malware:         0.7,
	moderation.Fraud:           0.7,
	moderation.Privacy:         0.65,
	moderation.IllegalActivity: 0.6,
	moderation.RegulatedGoods:  0.55,
	moderation.Sexual:          0.5,
	moderation.IPInfringement:  0.4,
	moderation.Gambling:        0.35,
	moderation.Spam:            0.3,
	moderation.ServiceAbuse:    0.3,
	moderation.Profanity:       0.1,
}

// credibleThreat is the screening score or weight of reporters above which
// a violence case is treated as a credible threat and goes to the urgent
// lane.
const (
	credibleThreatScore     = 0.8
	credibleThreatReporters = 2.0
	crowdReporters          = 5.0 // this many (weighted) reporters move a case up a lane
)

// assess sets a case's lane and priority from its categories, the screening
// scores, the weight of its reporters and its kind. Escalated cases keep a
// lane at least as urgent as the one they were escalated to.
func assess(c *moderation.Case, floor moderation.Lane) {
	sev := 0.0
	for _, cat := range c.Categories {
		sev = max(sev, severity[cat])
	}
	score := 0.0
	if c.Verdict != nil {
		for _, cs := range c.Verdict.Categories {
			if cs.Category != moderation.Profanity {
				score = max(score, cs.Score)
			}
		}
	}
	crowd := 1 - math.Exp(-c.Reporters/3)
	c.Priority = math.Round(100*(0.5*sev+0.3*score+0.2*crowd)*100) / 100

	has := func(cat moderation.Category) bool { return slices.Contains(c.Categories, cat) }
	var lane moderation.Lane
	switch {
	case has(moderation.ChildSafety) || has(moderation.SelfHarm):
		lane = moderation.LaneUrgent
	case has(moderation.Violence) && (c.Verdict != nil && c.Verdict.Score(moderation.Violence) >= credibleThreatScore || c.Reporters >= credibleThreatReporters):
		lane = moderation.LaneUrgent
	case c.Kind == moderation.KindAppeal || c.Kind == moderation.KindSuspension || sev >= 0.65:
		lane = moderation.LaneHigh
	case sev >= 0.4:
		lane = moderation.LaneNormal
	default:
		lane = moderation.LaneLow
	}
	if c.Reporters >= crowdReporters && lane.Rank() > moderation.LaneHigh.Rank() {
		lane = moderation.Lanes[lane.Rank()-1]
	}
	if floor != "" && floor.Rank() < lane.Rank() {
		lane = floor
	}
	c.Lane = lane
}

// queueScore orders a lane, lowest score first: higher priority first, then
// older first. The priority (two decimals) takes the high digits, the
// creation second the low ones; both fit a float64 exactly. Cases created in
// the same second tie, and an ascending range returns them in byte order of
// their ids, which begin with the creation time in milliseconds: older
// first again.
func queueScore(c *moderation.Case) float64 {
	return -math.Round(c.Priority*100)*1e10 + float64(c.CreatedAt.Unix())
}

// addCategories adds cats to c's suspected categories, keeping them in the
// policy's order.
func addCategories(c *moderation.Case, cats ...moderation.Category) {
	for _, cat := range cats {
		if cat.Valid() && !slices.Contains(c.Categories, cat) {
			c.Categories = append(c.Categories, cat)
		}
	}
	slices.SortFunc(c.Categories, func(a, b moderation.Category) int {
		return slices.Index(moderation.Categories, a) - slices.Index(moderation.Categories, b)
	})
}
