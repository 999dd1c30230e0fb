package pii

import (
	"slices"
	"strings"
	"testing"
)

// All numbers below are published test numbers (cards, IBAN registry
// specimens), fictional ranges (Ofcom drama numbers, NANP 555-01xx, ARCEP
// 01 99 00) or synthetic values built to pass the checks. None is anyone's.

// want is an expected finding; match is the text it covers, searched for
// after the previous finding's end, so each case also checks offsets.
type want struct {
	kind   Kind
	detail string
	match  string
}

type findCase struct {
	name string
	text string
	want []want
}

func cardWant(detail, match string) want { return want{Card, detail, match} }
func id(detail, match string) want       { return want{NationalID, detail, match} }

var findCases = []findCase{
	// Cards.
	{"visa run", "card 4111111111111111 exp 12/27", []want{cardWant("visa", "4111111111111111")}},
	{"visa spaced", "pay with 4111 1111 1111 1111.", []want{cardWant("visa", "4111 1111 1111 1111")}},
	{"visa dashed", "4111-1111-1111-1111", []want{cardWant("visa", "4111-1111-1111-1111")}},
	{"visa 13", "old card 4222222222222", []want{cardWant("visa", "4222222222222")}},
	{"mastercard", "(5555555555554444)", []want{cardWant("mastercard", "5555555555554444")}},
	{"mastercard grouped", "5105 1051 0510 5100", []want{cardWant("mastercard", "5105 1051 0510 5100")}},
	{"mastercard 2-series", "2223003122003222", []want{cardWant("mastercard", "2223003122003222")}},
	{"amex 4-6-5", "amex 3782 822463 10005 ok", []want{cardWant("amex", "3782 822463 10005")}},
	{"discover", "6011111111111117", []want{cardWant("discover", "6011111111111117")}},
	{"jcb", "3530111333300000", []want{cardWant("jcb", "3530111333300000")}},
	{"diners 14", "30569309025904", []want{cardWant("diners", "30569309025904")}},
	{"diners 4-4-4-2", "3852 0000 0232 37", []want{cardWant("diners", "3852 0000 0232 37")}},
	{"unionpay", "6200000000000005", []want{cardWant("unionpay", "6200000000000005")}},
	{"maestro", "6759649826438453", []want{cardWant("maestro", "6759649826438453")}},
	{"card then expiry", "4111 1111 1111 1111 12 27", []want{cardWant("visa", "4111 1111 1111 1111")}},
	{"card after a number", "qty 2 4111111111111111", []want{cardWant("visa", "4111111111111111")}},
	{"luhn fails", "4111111111111112", nil},
	{"no issuer", "1234567812345670", nil},
	{"same digit", "6666666666666", nil},
	{"longer run", "41111111111111110000", nil},
	{"glued to word", "x4111111111111111", nil},
	{"dashed id", "4111-1111-1111-1111-2222", nil},
	{"decimal", "4111111111111111.5", nil},
	{"odd grouping", "4111 111 1111 11111", nil},
	{"mixed separators", "4111-1111 1111 1111", nil},
	{"amex wrong length", "3782822463100053", nil},

	// IBANs.
	{"iban de grouped", "iban: de89 3704 0044 0532 0130 00 thanks", []want{{IBAN, "de", "de89 3704 0044 0532 0130 00"}}},
	{"iban de run", "de89370400440532013000", []want{{IBAN, "de", "de89370400440532013000"}}},
	{"iban gb", "gb29 nwbk 6016 1331 9268 19", []want{{IBAN, "gb", "gb29 nwbk 6016 1331 9268 19"}}},
	{"iban nl", "to nl91abna0417164300.", []want{{IBAN, "nl", "nl91abna0417164300"}}},
	{"iban fr", "fr14 2004 1010 0505 0001 3m02 606", []want{{IBAN, "fr", "fr14 2004 1010 0505 0001 3m02 606"}}},
	{"iban mt", "mt84 malt 0110 0001 2345 mtlc ast0 01s", []want{{IBAN, "mt", "mt84 malt 0110 0001 2345 mtlc ast0 01s"}}},
	{"iban no", "no93 8601 1117 947", []want{{IBAN, "no", "no93 8601 1117 947"}}},
	{"iban upper", "DE89 3704 0044 0532 0130 00", []want{{IBAN, "de", "DE89 3704 0044 0532 0130 00"}}},
	{"iban bad check", "de89 3704 0044 0532 0130 01", nil},
	{"iban short", "de89 3704 0044 0532 0130 0", nil},
	{"iban unknown country", "zz89 3704 0044 0532 0130 00", nil},
	{"iban glued", "xde89370400440532013000", nil},
	{"iban bad groups", "de89 370 400 440 532 013 000", nil},

	// National identity numbers.
	{"ssn", "ssn 536-22-4781.", []want{id("us_ssn", "536-22-4781")}},
	{"ssn area 000", "000-22-4781", nil},
	{"ssn area 666", "666-22-4781", nil},
	{"ssn area 9xx", "912-22-4781", nil},
	{"ssn group 00", "536-00-4781", nil},
	{"ssn serial 0000", "536-22-0000", nil},
	{"ssn sample", "078-05-1120", nil},
	{"ssn without dashes", "536224781 and 536 22 4781", nil},
	{"ssn in longer id", "1536-22-4781 and 536-22-47811", nil},
	{"nino", "ni ab123456c", []want{id("uk_nino", "ab123456c")}},
	{"nino spaced", "ni number ab 12 34 56 c.", []want{id("uk_nino", "ab 12 34 56 c")}},
	{"nino bad prefix letter", "qq123456c", nil},
	{"nino bad second letter", "ao123456a", nil},
	{"nino unused prefix", "gb123456a", nil},
	{"nino bad suffix", "ab123456e", nil},
	{"dni", "dni 12345678z", []want{id("es_dni", "12345678z")}},
	{"dni dashed", "12345678-z", []want{id("es_dni", "12345678-z")}},
	{"dni bad letter", "12345678a", nil},
	{"nie", "nie x1234567l", []want{id("es_nie", "x1234567l")}},
	{"nie y", "y1234567-x", []want{id("es_nie", "y1234567-x")}},
	{"nie bad letter", "x1234567a", nil},
	{"codice fiscale", "cf rssmra85t10a562s", []want{id("it_cf", "rssmra85t10a562s")}},
	{"codice fiscale omocodia", "rssmra85t10a56nh", []want{id("it_cf", "rssmra85t10a56nh")}},
	{"codice fiscale bad check", "rssmra85t10a562t", nil},
	{"codice fiscale bad month", "rssmra85z10a562s", nil},
	{"nir spaced", "nir 1 85 05 78 006 084 91", []want{id("fr_nir", "1 85 05 78 006 084 91")}},
	{"nir run", "185057800608491", []want{id("fr_nir", "185057800608491")}},
	{"nir key apart", "1850578006084 91", []want{id("fr_nir", "1850578006084 91")}},
	{"nir corsica 2a", "2 90 02 2a 004 021 09", []want{id("fr_nir", "2 90 02 2a 004 021 09")}},
	{"nir corsica 2b", "169022b00402148", []want{id("fr_nir", "169022b00402148")}},
	{"nir bad key", "1 85 05 78 006 084 92", nil},
	{"nir bad month", "1 85 13 78 006 084 91", nil},
	{"bsn", "mijn bsn is 111222333", []want{id("nl_bsn", "111222333")}},
	{"bsn without keyword", "ref 111222333", nil},
	{"bsn keyword too far", "bsn, as asked in the form, 111222333", nil},
	{"bsn bad check", "bsn 111222334", nil},
	{"cpf", "cpf 529.982.247-25", []want{id("br_cpf", "529.982.247-25")}},
	{"cpf bad check", "529.982.247-26", nil},
	{"cpf same digits", "111.111.111-11", nil},

	// E-mail addresses.
	{"email", "write to john.doe+tag@example.co.uk.", []want{{Email, "", "john.doe+tag@example.co.uk"}}},
	{"email in brackets", "<info@example.org>", []want{{Email, "", "info@example.org"}}},
	{"email mailto", "mailto:info@example.org", []want{{Email, "", "info@example.org"}}},
	{"email two", "a@example.com, b@example.net", []want{{Email, "", "a@example.com"}, {Email, "", "b@example.net"}}},
	{"email no dot", "me@localhost", nil},
	{"email short tld", "a@b.c", nil},
	{"email numeric tld", "foo@bar.123", nil},
	{"email handle", "@handle and @ 2pm", nil},
	{"email double dot", "john..doe@example.com", nil},
	{"email glued", "a@example.ac%b@example.ac", []want{{Email, "", "a@example.ac"}}},
	{"email file name", "icon@2x.png and logo@3x.svg", nil},

	// Phone numbers.
	{"phone uk international", "call +44 20 7946 0958 now", []want{{Phone, "international", "+44 20 7946 0958"}}},
	{"phone us international", "+1 (415) 555-0123", []want{{Phone, "international", "+1 (415) 555-0123"}}},
	{"phone fr international", "+33 1 99 00 12 34", []want{{Phone, "international", "+33 1 99 00 12 34"}}},
	{"phone trunk in parens", "+44 (0)20 7946 0958", []want{{Phone, "international", "+44 (0)20 7946 0958"}}},
	{"phone e164", "+4915123456789", []want{{Phone, "international", "+4915123456789"}}},
	{"phone nanp parens", "(415) 555-0123", []want{{Phone, "national", "(415) 555-0123"}}},
	{"phone nanp dashes", "ring 415-555-0123.", []want{{Phone, "national", "415-555-0123"}}},
	{"phone nanp dots", "415.555.0123", []want{{Phone, "national", "415.555.0123"}}},
	{"phone nanp 1-800", "1-800-555-0199", []want{{Phone, "national", "1-800-555-0199"}}},
	{"phone nanp 1 (800)", "1 (800) 555-0199", []want{{Phone, "national", "1 (800) 555-0199"}}},
	{"phone uk london", "020 7946 0958", []want{{Phone, "national", "020 7946 0958"}}},
	{"phone uk mobile", "07700 900123", []want{{Phone, "national", "07700 900123"}}},
	{"phone uk parens", "(020) 7946 0958", []want{{Phone, "national", "(020) 7946 0958"}}},
	{"phone fr pairs", "01 99 00 12 34", []want{{Phone, "national", "01 99 00 12 34"}}},
	{"phone fr dots", "01.99.00.12.34", []want{{Phone, "national", "01.99.00.12.34"}}},
	{"phone de", "030 12345678", []want{{Phone, "national", "030 12345678"}}},
	{"phone run after keyword", "whatsapp me 07700900123", []want{{Phone, "national", "07700900123"}}},
	{"phone run after tel", "tel. 4155550123", []want{{Phone, "national", "4155550123"}}},
	{"phone in chinese text", "电话+86 138 0013 8000联系", []want{{Phone, "international", "+86 138 0013 8000"}}},
	{"phone run alone", "ref 4155550123", nil},
	{"phone date", "on 2024-05-01 at 10:30", nil},
	{"phone date dotted", "01.05.2024 12.30", nil},
	{"phone date trunk shape", "01-05-2024-1234", nil},
	{"phone price", "$1,000,000 or 1.000.000.000 or 1 000 000 000", nil},
	{"phone round plus", "+1000000 points", nil},
	{"phone dotted thousands", "+12.345.678", nil},
	{"phone too short", "+1234567", nil},
	{"phone continues", "order 12 415 555 0123", nil},
	{"phone continues dashed", "id 12-415-555-0123", nil},
	{"phone isbn", "isbn 978-3-16-148410-0", nil},
	{"phone ip", "192.168.100.200", nil},
	{"phone version", "v1.2.3 and 10.2.3.4", nil},
	{"phone long last group", "415-555-01234", nil},
	{"phone exchange 1", "(201) 123-4567", nil},
	{"phone international prefix", "0044 20 7946 0958", nil},
	{"phone unclosed paren", "(415 555-0123", nil},
	{"phone mixed separators", "415-555.0123", nil},
	{"phone range", "pages 1015-1030", nil},

	// Credential pairs.
	{"creds email", "john@example.com:hunter2", []want{{Credentials, "email", "john@example.com:hunter2"}}},
	{"creds email in text", "leaked: john@example.com;hunter2 lol", []want{{Credentials, "email", "john@example.com;hunter2"}}},
	{"creds user alone", "admin:p@ssw0rd!", []want{{Credentials, "username", "admin:p@ssw0rd!"}}},
	{"creds dump", "combo list\nalice:qwerty123\nbob|letmein1\n", []want{
		{Credentials, "username", "alice:qwerty123"}, {Credentials, "username", "bob|letmein1"}}},
	{"creds numeric password", "  root:123456  ", []want{{Credentials, "username", "root:123456"}}},
	{"creds user in sentence", "the default is admin:p@ssw0rd! ok", nil},
	{"creds time", "meet at 10:30", nil},
	{"creds time alone", "10:30:00", nil},
	{"creds verse", "john 3:16", nil},
	{"creds ratio", "16:9", nil},
	{"creds url", "https://example.com/a:b", nil},
	{"creds key value", "status:done", nil},
	{"creds key words", "todo:buy-milk\nnote:call.mom", nil},
	{"creds key date", "date:2024-05-01\nversion:1.2.3", nil},
	{"creds port", "port:8080", nil},
	{"creds short password", "john@example.com:abc", []want{{Email, "", "john@example.com"}}},
	{"creds email list", "john@example.com;jane@example.com", []want{{Email, "", "john@example.com"}, {Email, "", "jane@example.com"}}},
	{"creds ipv6", "fe80::1\n2001:db8::1", nil},
	{"creds mac", "00:1a:2b:3c:4d:5e", nil},
	{"creds scheme", "tel:+14155550123", []want{{Phone, "international", "+14155550123"}}},
	{"creds space after", "note: hunter2", nil},

	// Several kinds, in order, without overlaps.
	{"mixed", "card 4111111111111111, call +44 20 7946 0958 or mail a@example.com",
		[]want{cardWant("visa", "4111111111111111"), {Phone, "international", "+44 20 7946 0958"}, {Email, "", "a@example.com"}}},
	{"card in email", "4111111111111111@example.com", []want{cardWant("visa", "4111111111111111")}},
	{"empty", "", nil},
	{"plain", "nothing to see here, just words.", nil},
}

func TestFind(t *testing.T) {
	for _, tc := range findCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Find(tc.text)
			var exp []Finding
			from := 0
			for _, w := range tc.want {
				k := strings.Index(tc.text[from:], w.match)
				if k < 0 {
					t.Fatalf("bad case: %q not in text", w.match)
				}
				start := from + k
				exp = append(exp, Finding{Kind: w.kind, Start: start, End: start + len(w.match), Detail: w.detail})
				from = start + len(w.match)
			}
			if !slices.Equal(got, exp) {
				t.Errorf("Find(%q)\n got %v\nwant %v", tc.text, got, exp)
			}
		})
	}
}

// TestFindOffsets pins byte offsets where text before the finding holds
// multi-byte characters.
func TestFindOffsets(t *testing.T) {
	text := "número: 4111 1111 1111 1111 — ok"
	got := Find(text)
	want := []Finding{{Kind: Card, Start: 9, End: 28, Detail: "visa"}}
	if !slices.Equal(got, want) {
		t.Fatalf("Find(%q) = %v, want %v", text, got, want)
	}
	if s := text[got[0].Start:got[0].End]; s != "4111 1111 1111 1111" {
		t.Fatalf("span %q", s)
	}
}

func TestFindNothingAllocatesNothing(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { Find(quietNote) })
	if allocs != 0 {
		t.Errorf("Find on a note without personal data: %v allocations, want 0", allocs)
	}
}

func FuzzFind(f *testing.F) {
	for _, tc := range findCases {
		f.Add(tc.text)
	}
	f.Add(quietNote)
	f.Add(busyNote)
	details := map[Kind][]string{
		Card:        {"visa", "mastercard", "amex", "discover", "jcb", "diners", "unionpay", "maestro"},
		NationalID:  {"us_ssn", "uk_nino", "es_dni", "es_nie", "it_cf", "fr_nir", "nl_bsn", "br_cpf"},
		Email:       {""},
		Phone:       {"international", "national"},
		Credentials: {"email", "username"},
	}
	f.Fuzz(func(t *testing.T, text string) {
		end := 0
		for _, g := range Find(text) {
			if g.Start < end || g.Start >= g.End || g.End > len(text) {
				t.Fatalf("Find(%q): bad span %v after end %d", text, g, end)
			}
			end = g.End
			switch g.Kind {
			case Card:
				var d []byte
				for _, c := range []byte(text[g.Start:g.End]) {
					if isDigit(c) {
						d = append(d, c)
					}
				}
				if len(d) < 13 || len(d) > 19 || !luhn(d) || cardIssuer(d) != g.Detail {
					t.Fatalf("Find(%q): card %v fails its own checks", text, g)
				}
			case IBAN:
				if len(g.Detail) != 2 || ibanTable[int(g.Detail[0]-'a')*26+int(g.Detail[1]-'a')].length == 0 {
					t.Fatalf("Find(%q): bad IBAN detail in %v", text, g)
				}
			default:
				if !slices.Contains(details[g.Kind], g.Detail) {
					t.Fatalf("Find(%q): bad kind or detail in %v", text, g)
				}
			}
		}
	})
}

// quietNote is a 300-byte note with numbers, times, prices, versions and
// punctuation but no personal data.
const quietNote = "Hi team, the review moved to 10:30 on 2024-05-01 in room 4b. " +
	"Budget is $1,000,000 (up 12.5%). See section 3.2 of the doc, v1.2.3 release " +
	"notes, e.g. the file report_final.pdf. Ratio 16:9, john 3:16. Call me if " +
	"anything changes, thanks! Order #a-20240501-77 shipped; tracking " +
	"1z999aa10123456784 arrives friday."

// busyNote is a note of the same size with a few findings.
const busyNote = "Hi team, refund the order to card 4111 1111 1111 1111 or to " +
	"iban de89 3704 0044 0532 0130 00 by 2024-05-01. The customer is on " +
	"+44 20 7946 0958 and at jane.doe@example.com; her login was " +
	"jane.doe@example.com:hunter22 until today. Budget is $1,000,000 " +
	"(up 12.5%), see section 3.2, v1.2.3."

func BenchmarkFindQuiet(b *testing.B) {
	b.SetBytes(int64(len(quietNote)))
	b.ReportAllocs()
	for b.Loop() {
		Find(quietNote)
	}
}

func BenchmarkFindBusy(b *testing.B) {
	b.SetBytes(int64(len(busyNote)))
	b.ReportAllocs()
	for b.Loop() {
		Find(busyNote)
	}
}
