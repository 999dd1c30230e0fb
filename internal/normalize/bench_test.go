package normalize

import "testing"

// Realistic notes of about 300 bytes.
const (
	noteEN = "Hey, thanks for the update on the order! I checked the tracking page this morning " +
		"and it still says the parcel is waiting at the depot. Could you ask the courier to " +
		"deliver it on Friday before 5pm? If that's not possible, I'll pick it up myself. " +
		"Reply here or mail me at jane.doe@example.com. Cheers!"
	noteRU = "Привет! Спасибо за ответ. Посылка всё ещё на складе, " +
		"курьер обещал привезти в пятницу до пяти. Если не получится, " +
		"заберу сама в субботу. Пишите сюда или на почту."
)

func BenchmarkFold(b *testing.B) {
	for _, bc := range []struct{ name, text string }{{"en", noteEN}, {"ru", noteRU}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				Fold(bc.text)
			}
		})
	}
}

func BenchmarkWordsOf(b *testing.B) {
	for _, bc := range []struct{ name, text string }{{"en", noteEN}, {"ru", noteRU}} {
		b.Run(bc.name, func(b *testing.B) {
			f := Fold(bc.text)
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				WordsOf(&f)
			}
		})
	}
}

func BenchmarkFoldWordsOf(b *testing.B) {
	for _, bc := range []struct{ name, text string }{{"en", noteEN}, {"ru", noteRU}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				f := Fold(bc.text)
				WordsOf(&f)
			}
		})
	}
}
