package lingua

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// functionWords are frequent function words of the Latin-script languages
// the word shortcut knows. A word that is common in several of these
// languages is listed under each of them: only words that belong to exactly
// one language of a detector's set count as evidence, so a word missing from
// a list where it is common would count as false evidence for another.
var functionWords = map[string]string{
	"en": `the and of to a i in is it that for with you this are have be not but they
		at from we he she his her my your will would can there what about which when
		just been has had were an or if our their them do does did so all out up on
		was one get like know who how than then some could should also because into
		only any these those very much here please thanks its me him us no am man
		come more last still over after before where why yes don didn doesn isn wasn
		aren other new time people now well way many most being through while never
		always something nothing thing think want need make made said see really
		every own again off down same between during without against under around
		since already though although whether each such may might must shall hers
		ours yours myself today tomorrow yesterday good great thank go as door even
		ten`,
	"es": `el la los las de del en y a que es un una por con para no se su sus al lo
		como más pero le les ya muy también este esta estos estas ese esa eso hay
		fue son está están porque cuando donde todo todos nos mi mis tu te me sin
		sobre entre hasta desde hace ser ni yo él ella usted ustedes o gracias hola
		bien aquí ahora algo nada otro otra ha han era si sí qué mucho poco mal dos
		así entonces después antes siempre cada mismo año años según mientras aunque
		sino unos unas nuestro nuestra vez había hemos estaba sido estoy tengo tiene
		puede hacer esto bueno buena gran nunca cosa os uno solo`,
	"fr": `le la les de des du un une et est en que qui dans pour pas sur au aux avec
		ce cette ces il elle ils elles nous vous je tu on ne se sa son ses leur
		leurs mais ou où plus par sont été être avoir fait très tout tous comme bien
		aussi même y à merci bonjour chez encore dit si me te mon ma mes non peu
		quand mal entre ai qu ça cela ceci après avant toujours jamais rien deux
		faire peut doit suis es ont avait était sera donc alors depuis sans sous
		vers notre votre vos lui celui celle ceux quoi pourquoi comment oui beaucoup
		autre autres a nos`,
	"de": `der die das und ist nicht ein eine einen einem einer zu den dem des mit auf
		für von im in sich es ich du er sie wir ihr was auch wie aber noch nur so
		bei nach oder wenn aus um am an dass schon hat haben sind war wird werden
		kann mal bitte danke hallo zum zur über sehr alle diese dieser dann doch mir
		mich uns euch kein keine ganz man will also da hier wurde wurden gibt geht
		habe hatte sein seine ihre ihren unser unsere jetzt immer wieder vor durch
		gegen ohne unter zwischen weil denn etwas nichts viel viele mehr gut heute
		morgen bis ab sollte können müssen muss soll nein eines diesen diesem wo wer
		warum ja als`,
	//nolint:misspell // Portuguese, not misspelled English
	"pt": `o a os as de do da dos das em no na nos nas um uma e é que para com não se
		por mais mas como ao à foi são está estão tem ele ela eles elas eu você
		vocês meu minha seu sua muito também já só isso isto esse essa este esta
		pelo pela até quando onde nem ou obrigado obrigada olá aqui então me te lhe
		estas porque sobre entre desde algo nada antes cada vez sido ainda agora
		depois sempre nunca mesmo outro outra pode podem fazer ter tenho vai vou
		estou nossa nosso coisa bem bom boa ano anos porém lá cá né num numa pelos
		pelas aos às teu tua dele dela deles sei tu todo todos ser era`,
	"it": `il lo la i gli le di del della dei delle da dal dalla in con su per tra fra
		un una uno e è che non si mi ti ci ne come ma più anche sono ho ha hanno
		questo questa quello quella molto tutto tutti dove quando perché se al allo
		alla ai agli nel nella sul sulla io tu lui lei noi voi loro grazie ciao
		essere stato stata fatto bene ancora già poi solo a o qui sì poco all dell
		nell dall sull sempre ogni dopo prima ora così cosa fare può siamo siete sei
		mio mia suo nostro nostra degli dalle nei negli sulle ecco quindi però
		oppure invece proprio me te no alle era`,
	"nl": `de het een van en in is dat die niet op te met voor zijn aan er ook als bij
		maar om naar dan nog wel uit door dit ze je ik we wij jij hij zij kan heb
		hebben heeft was waren worden wordt werd al geen meer of zo toch even echt
		graag dank bedankt hoi ons onze mijn jullie hun wat hoe waar wie u over
		hallo alle zou zouden moet moeten kunnen wil willen gaat gaan komt komen
		zich haar hem mij jou zelf iets niets veel nu nooit altijd weer omdat want
		tot tussen onder zonder tegen na deze welke zal zullen hebt bent ben ja had
		hier`,
	"pl": `i w z na nie się to że do jest jak ale o od po za co tak już tylko czy jego
		jej ich być był była było są ten ta te tego tej przez dla przy bardzo
		jeszcze może mnie mi go nam was wam ja ty on ona my wy oni pan pani dziękuję
		cześć też więc gdy kiedy gdzie który która które żeby jestem nic a ma bo tu
		ze oraz lub albo jednak także również gdyż ponieważ jako teraz tutaj tam
		zawsze nigdy coś mój moja moje twój nasz nasza wasz swoje swój swoją będzie
		będę mam masz mamy można trzeba temu tym tych tę tą we nad pod przed między
		bez dlaczego proszę dobrze no u`,
	"tr": `bir ve bu için ile çok da de ne gibi daha kadar var yok ama ben sen o biz
		siz onlar şey olan olarak sonra en mi mı mu mü ki diye çünkü ise her şu bunu
		bunun değil merhaba teşekkürler iyi kendi göre hem hiç sadece ancak veya
		bile artık ya şimdi zaman yani tüm biraz önce ayrıca eğer nasıl neden burada
		orada olduğu olduğunu ettim oldu olur ediyor yapmak etti lütfen evet hayır
		tamam yine bana sana onu ona benim senin onun bizim tarafından arasında
		üzerinde içinde karşı büyük yeni ilk`,
}

// wordIndex maps a function word to the index of the one language of a
// detector's Latin-script set it belongs to. Words shared by two or more
// languages of the set are left out.
type wordIndex map[string]int

// newWordIndex returns the index for langs, or nil if there is a language in
// langs without a list: its words would count as evidence for the others.
func newWordIndex(langs []string) wordIndex {
	owners := map[string][]int{}
	for i, code := range langs {
		list, ok := functionWords[code]
		if !ok {
			return nil
		}
		for _, w := range strings.Fields(list) {
			owners[w] = append(owners[w], i)
		}
	}
	idx := wordIndex{}
	for w, o := range owners {
		if len(o) == 1 {
			idx[w] = o[0]
		}
	}
	return idx
}

// maxWordBytes is the longest token looked up; function words are short.
const maxWordBytes = 24

// count adds to hits, per language, the function words of s that belong to
// that language alone.
func (idx wordIndex) count(s string, hits []int) {
	var buf [maxWordBytes]byte
	n, long := 0, false
	flush := func() {
		if n > 0 && !long {
			if i, ok := idx[string(buf[:n])]; ok {
				hits[i]++
			}
		}
		n, long = 0, false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) {
			flush()
			continue
		}
		if long {
			continue
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		} else if r >= utf8.RuneSelf {
			r = unicode.ToLower(r)
		}
		if n+utf8.RuneLen(r) > len(buf) {
			long = true
			continue
		}
		n += utf8.EncodeRune(buf[n:], r)
	}
	flush()
}
