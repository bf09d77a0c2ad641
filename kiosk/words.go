package kiosk

import (
	"fmt"
	"strings"
)

// Lang is the language a resident reads. A visit starts in Japanese (or
// the configured language) and may switch to English and back.
type Lang int

const (
	Japanese Lang = iota
	English
)

// ParseLang maps the configuration's "ja"/"en".
func ParseLang(s string) Lang {
	if s == "en" {
		return English
	}
	return Japanese
}

func (l Lang) String() string {
	if l == English {
		return "en"
	}
	return "ja"
}

// Text is one message in both languages. Japanese is written for
// residents: plain words, the subject first, facts only from the village
// page (docs/rules.md) or the kiosk's configuration.
type Text struct{ JA, EN string }

// In is the message in l.
func (t Text) In(l Lang) string {
	if l == English {
		return t.EN
	}
	return t.JA
}

// F formats the message in l with args.
func (t Text) F(l Lang, args ...any) string { return fmt.Sprintf(t.In(l), args...) }

// The one name of each PIN and certificate, used on every screen and slip.
var (
	nameAuthPIN  = Text{"4けたの暗証番号（利用者証明用）", "4-digit PIN (user authentication)"}
	nameSignPIN  = Text{"英数字6〜16けたの暗証番号（署名用）", "6-16 character PIN (signing)"}
	nameAuthCert = Text{"利用者証明用電子証明書", "user-authentication certificate"}
	nameSignCert = Text{"署名用電子証明書", "signing certificate"}
)

// PINName is the one name of PIN k.
func PINName(k PINKind) Text { return pick(k, nameAuthPIN, nameSignPIN) }

// CertName is the one name of the certificate PIN k protects.
func CertName(k PINKind) Text { return pick(k, nameAuthCert, nameSignCert) }

func pick[T any](k PINKind, auth, sign T) T {
	if k == PINSign {
		return sign
	}
	return auth
}

// Words is every fixed line a screen shows, beside the pages Guide returns.
// Button labels are short: the keypad key that triggers one is printed
// next to it by the screen.
type Words struct {
	Title, LangSwitch Text

	Insert, InsertHow, InsertWhat, Maintenance Text
	HowKeys, HowTouchAndKeys, HowTouch         Text

	Reading, Working, DontRemove    Text
	TakeCard, TakeSlip, Thanks      Text
	OutOfService, OutOfSvcWhat      Text
	Updating, UpdatingWhat          Text
	UpdWaiting, UpdVerify, UpdWrite Text
	UpdReadBack, UpdReboot          Text
	UpdateRefusedHead               Text

	Next, Back, Finish, Cancel, Enter, Clear, Delete, Continue, GoOn, Details Text

	MenuHead, NotNow                                     Text
	MenuStatus, MenuChangeAuth, MenuChangeSign, MenuSign Text

	ValidUntil, ValidFrom, DaysLeft, LastDay, RenewFrom Text
	ExpiredOn, YearsLeft, YearsMonthsLeft, MonthsLeft   Text
	UnderMonth                                          Text
	RenewBy, RenewOpen, RenewAlready, DetailsHead       Text
	DetailsWhy                                          Text
	TriesLocked, TriesNone                              Text
	SignOnCard, SignOnCardLocked, SignNotOnCard         Text

	PINNow, PINNew, PINAgain, PINForSign Text
	TriesNow, TriesChanged, Mismatch     Text
	RuleAuth, RuleLen, RuleLetter        Text
	RuleDigit, PickHelp, PickTouch       Text
	ProbShort, ProbLong, ProbChar        Text
	ProbLetter, ProbDigit                Text

	LastTryHead, LastTryWhat Text

	Office, OfficeAny, OtherTown, Phone, Hours Text
	Bring, Reference                           Text
	SlipPrinting, SlipPrinted, SlipNotPrinted  Text
	SlipNotRecorded                            Text
	RemovedHead, RemovedWhat, RemovedMidChange Text

	IdleHead, IdleLeft Text
}

// DetailIDs are the catalogue's fields that carry an expiry's day (the
// holder's birthday) or what gives it away: only the くわしく screen the
// resident asks for shows them. Nothing prints or speaks them.
var DetailIDs = []string{"DaysLeft", "LastDay", "RenewFrom", "ValidFrom", "DetailsHead", "DetailsWhy"}

// Catalogue returns the screen words. It is a fresh copy each time: no
// caller can change what another reads.
func Catalogue() Words {
	w := Words{
		Title:      Text{"マイナンバーカードの電子証明書の確認", "My Number Card: certificate check"},
		LangSwitch: Text{"English", "日本語"},

		Insert:      Text{"マイナンバーカードを差しこんでください", "Please insert your My Number Card"},
		InsertHow:   Text{"顔写真のある面を上にして、奥まで差しこんでください。", "Photo side up, push it all the way in."},
		InsertWhat:  Text{"電子証明書の有効期限と、暗証番号をあと何回まちがえるとロックされるかを確かめられます。暗証番号の変更もできます。", "You can check your certificates' expiry dates and how many wrong PIN entries remain before a PIN locks, and change your PINs."},
		Maintenance: Text{"%sは全国一斉のシステム保守日です。この日は、どの市区町村の窓口でも電子証明書の手続きができません。", "%s is the national maintenance day: no municipal office can handle certificates that day."},
		HowKeys:     Text{"キーを押して操作します。押すキーは、画面の [ ] の中に書いてあります。", "Use the keys. The key for each step is shown in [ ] on the screen."},
		HowTouchAndKeys: Text{"画面にさわるか、キーを押して操作します。押すキーは、画面の [ ] の中に書いてあります。",
			"Touch the screen or use the keys. The key for each step is shown in [ ] on the screen."},
		HowTouch: Text{"画面にさわって操作します。", "Touch the screen to use this machine."},

		Reading:      Text{"カードを読んでいます", "Reading your card"},
		Working:      Text{"カードとやりとりしています", "Talking to your card"},
		DontRemove:   Text{"カードを抜かないで、そのままお待ちください。", "Please wait. Do not take the card out."},
		TakeCard:     Text{"カードをお取りください", "Please take your card"},
		TakeSlip:     Text{"用紙も忘れずにお取りください。", "Please also take your slip."},
		Thanks:       Text{"ご利用ありがとうございました。", "Thank you."},
		OutOfService: Text{"この機械は、ただいま使えません", "This machine is out of service"},
		OutOfSvcWhat: Text{"申し訳ありません。役場の窓口にお声がけください。", "Sorry. Please ask at the office counter."},
		Updating:     Text{"ただいま、この機械を更新しています", "This machine is being updated"},
		UpdatingWhat: Text{"終わると自動で再起動します。数分お待ちください。カードはまだ入れないでください。",
			"It restarts by itself when done. Please wait a few minutes, and do not insert a card yet."},
		UpdWaiting:        Text{"準備中", "Getting ready"},
		UpdVerify:         Text{"更新ファイルを確認しています", "Checking the update file"},
		UpdWrite:          Text{"書き込んでいます", "Writing"},
		UpdReadBack:       Text{"書き込んだ内容を確かめています", "Checking what was written"},
		UpdReboot:         Text{"再起動します", "Restarting"},
		UpdateRefusedHead: Text{"更新はしませんでした", "The update was not installed"},

		Next:     Text{"つぎへ", "Next"},
		Back:     Text{"もどる", "Back"},
		Finish:   Text{"おわる", "Finish"},
		Cancel:   Text{"やめる", "Cancel"},
		Enter:    Text{"決定", "OK"},
		Clear:    Text{"ぜんぶけす", "Clear all"},
		Delete:   Text{"1字けす", "Delete"},
		Continue: Text{"つづける", "Continue"},
		GoOn:     Text{"入力する", "Enter the PIN"},
		Details:  Text{"くわしく", "Details"},

		MenuHead:       Text{"なにをしますか", "What would you like to do?"},
		NotNow:         Text{"（できません）", "(not available)"},
		MenuStatus:     Text{"カードの状態を見る", "See the card's status"},
		MenuChangeAuth: Text{nameAuthPIN.JA + "を変える", "Change the " + nameAuthPIN.EN},
		MenuChangeSign: Text{nameSignPIN.JA + "を変える", "Change the " + nameSignPIN.EN},
		MenuSign:       Text{nameSignCert.JA + "を確かめる", "Check the " + nameSignCert.EN},

		TriesLocked:      Text{"%s: ロックされています", "%s: locked"},
		TriesNone:        Text{"%s: 署名用電子証明書がないため、使いません", "%s: not used (no signing certificate)"},
		SignOnCard:       Text{"署名用電子証明書: 入っています（有効期限は、暗証番号を入力すると確かめられます）", "Signing certificate: on the card (its dates can be checked with its PIN)"},
		SignOnCardLocked: Text{"署名用電子証明書: 入っています（暗証番号がロックされているため、有効期限はこの機械では確かめられません）", "Signing certificate: on the card (its PIN is locked, so this machine cannot check its dates)"},
		SignNotOnCard:    Text{"署名用電子証明書: 入っていません", "Signing certificate: not on the card"},

		PINNow:       Text{"いまの%sを入力してください", "Enter your current %s"},
		PINNew:       Text{"新しい%sを入力してください", "Enter your new %s"},
		PINAgain:     Text{"確認のため、新しい%sをもう一度入力してください", "Enter the new %s again to confirm it"},
		PINForSign:   Text{"署名用電子証明書を確かめるため、%sを入力してください", "To check the signing certificate, enter your %s"},
		TriesChanged: Text{"カードの残り回数が、さきほどの表示から変わっていました。もう一度はじめから入力してください。", "The card's count had changed since it was shown. Please enter the PIN again from the start."},
		Mismatch:     Text{"1回目と2回目の入力が合いませんでした。新しい暗証番号を、もう一度入力してください。", "The two entries did not match. Please enter the new PIN again."},
		RuleAuth:     Text{"数字4けた", "4 digits"},
		RuleLen:      Text{"6〜16けた", "6-16 characters"},
		RuleLetter:   Text{"英字（A〜Z）を1つ以上", "has a letter A-Z"},
		RuleDigit:    Text{"数字（0〜9）を1つ以上", "has a digit 0-9"},
		TriesNow:     Text{"%s。", "This PIN %s."},
		PickHelp:     Text{"キー [2]（上） [8]（下） [4]（左） [6]（右） で文字を選び、[5] で入力します。数字も同じです。まちがえたら「1字けす」を選んで [5] を押します。", "Keys [2] (up), [8] (down), [4] (left), [6] (right) choose a character, digits too; [5] types it. To take one back, choose Delete and press [5]."},
		PickTouch:    Text{"画面の文字にさわっても入力できます。", "You can also touch the characters on the screen."},
		ProbShort:    Text{"けた数がたりません", "Too short"},
		ProbLong:     Text{"けた数が多すぎます", "Too long"},
		ProbChar:     Text{"使えない文字があります", "A character is not allowed"},
		ProbLetter:   Text{"英字（A〜Z）を入れてください", "Add a letter A-Z"},
		ProbDigit:    Text{"数字（0〜9）を入れてください", "Add a digit 0-9"},

		LastTryHead: Text{"あと1回まちがえるとロックされます", "One more wrong entry locks it"},
		LastTryWhat: Text{"%sは、あと1回まちがえるとロックされます。ロックされると、住民票のある市区町村の窓口で初期化してもらうまで使えません。暗証番号に自信がないときは、入力しないで「やめる」を選んでください。",
			"Your %s locks after one more wrong entry. A locked PIN cannot be used until your municipality's office resets it. If you are not sure of it, do not enter it: choose Cancel."},

		Office:          Text{"%sに住民票のある方の窓口: %s %s", "Office for %s residents: %s, %s"},
		OfficeAny:       Text{"窓口: %s %s", "Office: %s, %s"},
		OtherTown:       Text{"ほかの市区町村に住民票のある方は、その市区町村の窓口へ。", "Registered elsewhere? Go to that municipality's office."},
		Phone:           Text{"電話: %s", "Phone: %s"},
		Hours:           Text{"窓口の時間: %s", "Open: %s"},
		Bring:           Text{"お持ちいただくもの", "Please bring"},
		Reference:       Text{"受付番号: %s", "Reference: %s"},
		SlipPrinting:    Text{"案内の用紙を印刷しています。", "Printing your slip."},
		SlipPrinted:     Text{"案内の用紙を印刷しました。用紙をお取りください。", "Your slip has been printed. Please take it."},
		SlipNotPrinted:  Text{"用紙を印刷できませんでした。受付番号をメモするか写真にとって、窓口でお伝えください。", "The slip could not be printed. Please write down or photograph the reference and show it at the counter."},
		SlipNotRecorded: Text{"記録ができなかったため、用紙を印刷できませんでした。窓口でこの画面の内容をお伝えください。", "This could not be recorded, so no slip was printed. Please tell the counter what this screen says."},

		RemovedHead:      Text{"カードが抜かれました", "The card was taken out"},
		RemovedWhat:      Text{"暗証番号は変わっていません。続けるときは、もう一度カードを差しこんでください。", "Nothing was changed. To go on, please insert the card again."},
		RemovedMidChange: Text{"結果を確かめています。しばらくお待ちください。", "Checking the result. Please wait."},

		IdleHead: Text{"まだお使いですか", "Are you still there?"},
		IdleLeft: Text{"あと%d秒で終わります", "Ending in %d seconds"},
	}
	w.setDates()
	return w
}

// setDates fills the words about a certificate's dates: what the first
// view says, and the exact ones only くわしく shows (DetailIDs).
func (w *Words) setDates() {
	w.ValidUntil = Text{"%sの有効期限: %s", "Valid until: %[2]s (%[1]s)"}
	w.ValidFrom = Text{"有効期間のはじまり: %s", "Valid from: %s"}
	w.DaysLeft = Text{"あと%d日", "%d days left"}
	w.LastDay = Text{"今日が最後の日です", "today is the last day"}
	w.RenewFrom = Text{"更新の手続き: %sからできます", "Renewal: possible from %s"}
	// The expiry is the holder's birthday: the first screen and the slip
	// say year and month, how long is left roughly, and the first day
	// renewal is certainly open (the 1st, 11th or 21st), never the day.
	w.ExpiredOn = Text{"%sの有効期限: %s（切れています）", "Expired: %[2]s (%[1]s)"}
	w.YearsLeft = Text{"あと約%d年", "about %d year(s) left"}
	w.YearsMonthsLeft = Text{"あと約%d年%dか月", "about %d year(s) %d month(s) left"}
	w.MonthsLeft = Text{"あと約%dか月", "about %d month(s) left"}
	w.UnderMonth = Text{"あと1か月足らず", "less than a month left"}
	w.RenewBy = Text{"更新の手続き: %sにはできます", "Renewal: possible by %s"}
	w.RenewOpen = Text{"更新の手続き: いまできます", "Renewal: possible now"}
	w.RenewAlready = Text{"更新の手続き: すでにできます", "Renewal: already possible"}
	w.DetailsHead = Text{"有効期限の日付", "The exact dates"}
	w.DetailsWhy = Text{"有効期限の日は誕生日から決まるため、はじめの画面と用紙には出していません。まわりの方から見えないよう、ご注意ください。",
		"The expiry day follows from your birthday, so the first screen and the slip leave it out. Please make sure no one else can see this screen."}
}

// TriesLeft says how many wrong entries remain before PIN k locks: with n
// left, the n-th further mistake locks it (never "mistakes you may make").
func TriesLeft(l Lang, n int) string {
	if l == English {
		if n == 1 {
			return "locks after one more wrong entry"
		}
		return fmt.Sprintf("locks after %d more wrong entries", n)
	}
	return fmt.Sprintf("あと%d回まちがえるとロックされます", n)
}

// TimeLeft says roughly how long a certificate has left, from its days
// left: years and months, or "less than a month". A count of days would
// give the expiry day, which is the holder's birthday, to anyone behind.
func TimeLeft(l Lang, daysLeft int) string {
	w := Catalogue()
	months := (daysLeft*12 + 182) / 365 // rounded: 52 days is about 2 months
	y, m := months/12, months%12
	var s string
	switch {
	case daysLeft < 31:
		return w.UnderMonth.In(l)
	case y == 0:
		s = w.MonthsLeft.F(l, m)
	case m == 0:
		s = w.YearsLeft.F(l, y)
	default:
		s = w.YearsMonthsLeft.F(l, y, m)
	}
	if l == English {
		// "1 year(s)" reads as a form: say it as a person would.
		s = strings.NewReplacer(" 1 year(s)", " 1 year", " 1 month(s)", " 1 month", "(s)", "s").Replace(" " + s)[1:]
	}
	return s
}
