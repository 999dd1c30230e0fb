package lingua

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aup-dev/aup/internal/moderation"
)

func newDetector(t testing.TB, opts Options) *Detector {
	t.Helper()
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDetect(t *testing.T) {
	d := newDetector(t, Options{})
	for _, tc := range []struct {
		name, text, want string
		by               path
	}{
		{"empty", "", "und", byNothing},
		{"spaces", " \t\n ", "und", byNothing},
		{"digits", "12345 678 90", "und", byNothing},
		{"emoji", "🙂🙂🔥👍 😂", "und", byNothing},
		{"punctuation", "?!... -- ##", "und", byNothing},
		{"one word", "hello", "und", byNothing},
		{"under ten letters", "hi you all", "und", byNothing},
		{"one long word", "unbelievably", "und", byNothing},
		{"link only", "https://example.com/some/page?id=12", "und", byNothing},
		{"links and addresses", "www.example.org  bob@example.com  @someone", "und", byNothing},
		{"text with a link", "thanks for the help, the photos are on https://example.com/album", "en", byWords},
		{"chinese with a link", "请看这个网站https://example.com/page谢谢大家", "zh", byScript},

		{"chinese", "今天天气很好，我们去公园散步吧。", "zh", byScript},
		{"chinese, three characters", "谢谢你", "zh", byScript},
		{"chinese, two characters", "你好", "und", byNothing},
		{"japanese kana and kanji", "今日はとても暑いですね。", "ja", byScript},
		{"japanese, one kana among kanji", "東京の天気", "ja", byScript},
		{"katakana only", "コーヒー", "ja", byScript},
		{"hindi", "मुझे यह किताब बहुत पसंद है", "hi", byScript},
		{"arabic", "شكرا جزيلا على المساعدة", "ar", byScript},
		{"persian is not arabic", "من این کتاب را خیلی دوست دارم", "und", byMarks},
		{"korean outside the set", "안녕하세요 만나서 반갑습니다", "und", byNothing},
		{"greek outside the set", "καλημέρα σε όλους τους φίλους", "und", byNothing},
		{"hebrew outside the set", "שלום לכולם ותודה רבה", "und", byNothing},
		{"thai outside the set", "สวัสดีครับ ขอบคุณมาก", "und", byNothing},

		{"ukrainian і", "я пішов додому", "uk", byMarks},
		{"ukrainian ї є", "вона їде до неї, є час", "uk", byMarks},
		{"ukrainian ґ, one word", "ґудзик", "uk", byMarks},
		{"russian ы", "мы пошли домой", "ru", byMarks},
		{"russian э ё", "это ещё не всё", "ru", byMarks},
		{"russian ъ", "объявление", "ru", byMarks},
		{"cyrillic without marks", "я хочу сказать о другом, но не могу", "ru", byLingua},
		{"cyrillic too short", "да", "und", byNothing},

		{"english", "thanks for the help, i will call you back tomorrow about the order", "en", byWords},
		{"english raw", "Thanks for the help, I will call YOU back tomorrow about the order!", "en", byWords},
		{"spanish", "muchas gracias por todo, ya te llamo mañana porque hay un problema con el pedido", "es", byWords},
		{"german", "danke für die hilfe, ich rufe dich morgen wegen der bestellung an", "de", byWords},
		{"polish", "dziękuję za pomoc, zadzwonię jutro w sprawie zamówienia", "pl", byWords},
		{"turkish", "yardımın için çok teşekkürler, sipariş için yarın seni ararım", "tr", byWords},
		{"french, few function words", "merveilleux restaurant, cuisine délicieuse, accueil chaleureux", "fr", byLingua},

		{"mixed latin and cyrillic", "hello my friend привет мой друг", "und", byNothing},
		{"mostly russian with a brand", "купил новый iphone, камера отличная и батарея держит долго", "ru", byMarks},
		{"mostly chinese with a brand", "我在amazon上买的这个东西很好用", "zh", byScript},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, by := d.detect(tc.text)
			if got.Code != tc.want || by != tc.by {
				t.Errorf("detect(%q) = %+v by %d, want %s by %d", tc.text, got, by, tc.want, tc.by)
			}
			if got.Code == moderation.Undetermined && got.Confidence != 0 {
				t.Errorf("und with confidence %v", got.Confidence)
			}
			if got.Code != moderation.Undetermined && (got.Confidence < DefaultMinConfidence || got.Confidence > 1) {
				t.Errorf("confidence %v out of range", got.Confidence)
			}
		})
	}
}

func TestDetectNotes(t *testing.T) {
	d := newDetector(t, Options{})
	for _, n := range loadNotes(t) {
		for _, text := range []string{n.Text, strings.ToLower(n.Text)} {
			if got := d.Detect(text); got.Code != n.Lang {
				t.Errorf("Detect(%.40q...) = %+v, want %s", text, got, n.Lang)
			}
		}
	}
}

func TestLanguageSet(t *testing.T) {
	for _, tc := range []struct {
		name  string
		langs []string
		text  string
		want  string
	}{
		{"korean in the set", []string{"en", "ko"}, "안녕하세요 만나서 반갑습니다", "ko"},
		{"greek in the set", []string{"en", "el"}, "καλημέρα σε όλους τους φίλους", "el"},
		{"ukrainian outside the set", []string{"en", "ru"}, "я пішов додому", "und"},
		{"russian outside the set", []string{"en", "uk"}, "мы пошли домой", "und"},
		{"only russian, no marks", []string{"en", "ru"}, "я хочу сказать о другом", "ru"},
		{"chinese outside the set", []string{"en", "ja"}, "今天天气很好", "und"},
		{"japanese outside the set", []string{"en", "zh"}, "今日はとても暑いですね", "und"},
		{"codes in any case", []string{"EN", " De "}, "danke für die hilfe, ich rufe dich morgen an", "de"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDetector(t, Options{Languages: tc.langs})
			if got := d.Detect(tc.text); got.Code != tc.want {
				t.Errorf("Detect(%q) = %+v, want %s", tc.text, got, tc.want)
			}
		})
	}
}

func TestOthers(t *testing.T) {
	swedish := "jag har inte tid i dag, vi ses i morgon på kontoret"
	english := "thanks for the help, i will call you back tomorrow"
	if got := newDetector(t, Options{}).Detect(swedish); got.Code == "und" {
		t.Errorf("without Others, Detect(%q) = und; the test no longer shows what Others is for", swedish)
	}
	d := newDetector(t, Options{Others: []string{"sv", "da"}})
	for text, want := range map[string]string{swedish: "und", english: "en"} {
		if got := d.Detect(text); got.Code != want {
			t.Errorf("Detect(%q) = %+v, want %s", text, got, want)
		}
	}
}

func TestNewInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"unknown language", Options{Languages: []string{"en", "xx"}}, `"xx"`},
		{"three-letter code", Options{Languages: []string{"eng"}}, `"eng"`},
		{"empty code", Options{Languages: []string{"en", ""}}, `""`},
		{"unknown other", Options{Others: []string{"zz"}}, `"zz"`},
		{"confidence above one", Options{MinConfidence: 1.5}, "MinConfidence"},
		{"negative sample", Options{SampleBytes: -1}, "SampleBytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			var e *moderation.Error
			if !errors.As(err, &e) || e.Code != moderation.EINVALID || !strings.Contains(e.Message, tc.want) {
				t.Errorf("New(%+v) error = %v, want EINVALID naming %s", tc.opts, err, tc.want)
			}
		})
	}
}

func TestSample(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		n          int
		want       string
	}{
		{"short", "hello world", 256, "hello world"},
		{"at a space", "hello world again", 14, "hello world"},
		{"inside a rune", "ab" + strings.Repeat("é", 40), 5, "abé"},
		{"no space near", strings.Repeat("x", 100), 50, strings.Repeat("x", 50)},
		{"cjk", "今天天气很好", 7, "今天"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sample(tc.text, tc.n); got != tc.want {
				t.Errorf("sample(%q, %d) = %q, want %q", tc.text, tc.n, got, tc.want)
			}
		})
	}
}

// TestConcurrent runs Detect from several goroutines; run it with -race.
func TestConcurrent(t *testing.T) {
	d := newDetector(t, Options{})
	notes := loadNotes(t)
	want := make([]string, len(notes))
	for i, n := range notes {
		want[i] = d.Detect(n.Text).Code
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				k := (g + i) % len(notes)
				if got := d.Detect(notes[k].Text).Code; got != want[k] {
					t.Errorf("concurrent Detect = %s, want %s", got, want[k])
				}
			}
		})
	}
	wg.Wait()
}

func FuzzDetect(f *testing.F) {
	d := newDetector(f, Options{})
	for _, n := range loadNotes(f) {
		f.Add(n.Text)
	}
	f.Add("\xff\xfe invalid utf-8 \xc3")
	f.Add("https://x.y @z www.")
	f.Fuzz(func(t *testing.T, text string) {
		got := d.Detect(text)
		switch {
		case got.Code == moderation.Undetermined:
			if got.Confidence != 0 {
				t.Errorf("und with confidence %v", got.Confidence)
			}
		case !slices.Contains(DefaultLanguages, got.Code):
			t.Errorf("Detect = %q, not in the set", got.Code)
		case got.Confidence < DefaultMinConfidence || got.Confidence > 1:
			t.Errorf("confidence %v out of range", got.Confidence)
		}
	})
}
