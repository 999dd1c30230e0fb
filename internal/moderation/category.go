package moderation

// Category is an acceptable-use category id. The ids are part of the public
// API contract; never rename one.
type Category string

// The policy's categories. Profanity is a signal, not a violation: it is
// reported but does not change the action under the default policy.
const (
	Harassment      Category = "harassment"
	Hate            Category = "hate"
	Violence        Category = "violence"
	Sexual          Category = "sexual"
	ChildSafety     Category = "child_safety"
	SelfHarm        Category = "self_harm"
	Spam            Category = "spam"
	Privacy         Category = "privacy"
	Malware         Category = "malware"
	Fraud           Category = "fraud"
	Gambling        Category = "gambling"
	RegulatedGoods  Category = "regulated_goods"
	IllegalActivity Category = "illegal_activity"
	IPInfringement  Category = "ip_infringement"
	ServiceAbuse    Category = "service_abuse"
	Profanity       Category = "profanity"
)

// Categories lists every category in a stable order.
var Categories = []Category{
	Harassment, Hate, Violence, Sexual, ChildSafety, SelfHarm, Spam, Privacy,
	Malware, Fraud, Gambling, RegulatedGoods, IllegalActivity, IPInfringement,
	ServiceAbuse, Profanity,
}

// Valid reports whether c is one of the policy's categories.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}
