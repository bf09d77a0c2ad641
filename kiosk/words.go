package kiosk

import "fmt"

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

	Next, Back, Finish, Cancel, Enter, Clear, Delete, Continue, GoOn Text

	MenuHead, NotNow                                     Text
	MenuStatus, MenuChangeAuth, MenuChangeSign, MenuSign Text

	ValidUntil, ValidFrom, DaysLeft, LastDay, RenewFrom Text
	TriesLocked, TriesNone                              Text
	SignOnCard, SignNotOnCard                           Text

	PINNow, PINNew, PINAgain, PINForSign Text
	TriesNow, TriesChanged, Mismatch     Text
	RuleAuth, RuleLen, RuleLetter        Text
	RuleDigit, PickHelp, PickTouch       Text
	ProbShort, ProbLong, ProbChar        Text
	ProbLetter, ProbDigit                Text

	LastTryHead, LastTryWhat Text

	Office, Phone, Hours, Bring, Reference     Text
	SlipPrinting, SlipPrinted, SlipNotPrinted  Text
	SlipNotRecorded                            Text
	RemovedHead, RemovedWhat, RemovedMidChange Text

	IdleHead, IdleLeft Text
}

// Catalogue returns the screen words. It is a fresh copy each time: no
// caller can change what another reads.
func Catalogue() Words {
	return Words{
		Title:      Text{"マイナンバーカードの電子証明書の確認", "My Number Card: certificate check"},
		LangSwitch: Text{"English", "日本語"},

		Insert:      Text{"マイナンバーカードを入れてください", "Please insert your My Number Card"},
		InsertHow:   Text{"顔写真のある面を上にして、奥まで差しこんでください。", "Photo side up, push it all the way in."},
		InsertWhat:  Text{"電子証明書の有効期限と、暗証番号をあと何回まちがえるとロックされるかを確かめられます。暗証番号の変更もできます。", "You can check your certificates' expiry dates and how many wrong PIN entries remain before a PIN locks, and change your PINs."},
		Maintenance: Text{"%sは全国一斉のシステム保守日です。この日は役場で電子証明書の手続きができません。", "%s is the national maintenance day: the office cannot handle certificates that day."},
		HowKeys:     Text{"キーを押して操作します。押すキーは画面の [ ] の中に書いてあります。", "Use the keys. The key for each step is shown in [ ] on the screen."},
		HowTouchAndKeys: Text{"画面にさわるか、キーを押して操作します。押すキーは画面の [ ] の中に書いてあります。",
			"Touch the screen or use the keys. The key for each step is shown in [ ] on the screen."},
		HowTouch: Text{"画面にさわって操作します。", "Touch the screen to use the kiosk."},

		Reading:      Text{"カードを読んでいます", "Reading your card"},
		Working:      Text{"カードとやりとりしています", "Talking to your card"},
		DontRemove:   Text{"カードを抜かないで、そのままお待ちください。", "Please wait. Do not take the card out."},
		TakeCard:     Text{"カードをお取りください", "Please take your card"},
		TakeSlip:     Text{"用紙も忘れずにお取りください。", "Please also take your slip."},
		Thanks:       Text{"ご利用ありがとうございました。", "Thank you."},
		OutOfService: Text{"このキオスクは、ただいま使えません", "This kiosk is out of service"},
		OutOfSvcWhat: Text{"申し訳ありません。役場の窓口にお声がけください。", "Sorry. Please ask at the office counter."},
		Updating:     Text{"ただいま、このキオスクを更新しています", "This kiosk is being updated"},
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
		Clear:    Text{"クリア", "Clear"},
		Delete:   Text{"1字けす", "Delete"},
		Continue: Text{"つづける", "Continue"},
		GoOn:     Text{"入力する", "Enter the PIN"},

		MenuHead:       Text{"なにをしますか", "What would you like to do?"},
		NotNow:         Text{"（できません）", "(not available)"},
		MenuStatus:     Text{"カードの状態を見る", "See the card's status"},
		MenuChangeAuth: Text{nameAuthPIN.JA + "を変える", "Change the " + nameAuthPIN.EN},
		MenuChangeSign: Text{nameSignPIN.JA + "を変える", "Change the " + nameSignPIN.EN},
		MenuSign:       Text{nameSignCert.JA + "を確かめる", "Check the " + nameSignCert.EN},

		ValidUntil:    Text{"%sの有効期限: %s", "Valid until: %[2]s (%[1]s)"},
		ValidFrom:     Text{"有効期間のはじまり: %s", "Valid from: %s"},
		DaysLeft:      Text{"あと%d日", "%d days left"},
		LastDay:       Text{"今日が最後の日です", "today is the last day"},
		RenewFrom:     Text{"更新の受付: %sから", "Renewal accepted from: %s"},
		TriesLocked:   Text{"%s: ロックされています", "%s: locked"},
		TriesNone:     Text{"%s: ありません", "%s: none"},
		SignOnCard:    Text{"署名用電子証明書: 入っています（有効期限は、暗証番号を入れると確かめられます）", "Signing certificate: on the card (its dates can be checked with its PIN)"},
		SignNotOnCard: Text{"署名用電子証明書: 入っていません", "Signing certificate: not on the card"},

		PINNow:       Text{"いまの%sを入れてください", "Enter your current %s"},
		PINNew:       Text{"新しい%sを入れてください", "Enter your new %s"},
		PINAgain:     Text{"確認のため、新しい%sをもう一度入れてください", "Enter the new %s again to confirm it"},
		PINForSign:   Text{"署名用電子証明書を確かめるため、%sを入れてください", "To check the signing certificate, enter your %s"},
		TriesChanged: Text{"カードの残り回数が、さきほどの表示から変わっていました。もう一度はじめから入れてください。", "The card's count had changed since it was shown. Please enter the PIN again from the start."},
		Mismatch:     Text{"1回目と2回目の入力が合いませんでした。新しい暗証番号を、もう一度入れてください。", "The two entries did not match. Please enter the new PIN again."},
		RuleAuth:     Text{"数字4けた", "4 digits"},
		RuleLen:      Text{"6〜16文字", "6-16 characters"},
		RuleLetter:   Text{"英字（A〜Z）を1つ以上", "has a letter A-Z"},
		RuleDigit:    Text{"数字（0〜9）を1つ以上", "has a digit 0-9"},
		TriesNow:     Text{"%s。", "This PIN %s."},
		PickHelp:     Text{"キーの 2（上） 8（下） 4（左） 6（右） で文字を選び、5 で入れます。数字も同じです。まちがえたら「1字けす」を選んで 5 を押します。", "Keys 2 (up), 8 (down), 4 (left), 6 (right) choose a character, digits too; 5 types it. To take one back, choose Delete and press 5."},
		PickTouch:    Text{"画面の文字にさわっても入れられます。", "You can also touch the characters on the screen."},
		ProbShort:    Text{"けた数がたりません", "Too short"},
		ProbLong:     Text{"文字数が多すぎます", "Too long"},
		ProbChar:     Text{"使えない文字があります", "A character is not allowed"},
		ProbLetter:   Text{"英字（A〜Z）を入れてください", "Add a letter A-Z"},
		ProbDigit:    Text{"数字（0〜9）を入れてください", "Add a digit 0-9"},

		LastTryHead: Text{"あと1回まちがえるとロックされます", "One more wrong entry locks it"},
		LastTryWhat: Text{"%sは、あと1回まちがえるとロックされます。ロックされると、役場の窓口で初期化するまで使えません。暗証番号に自信がないときは「やめる」を選んで、役場の窓口でご相談ください。",
			"Your %s locks after one more wrong entry. A locked PIN cannot be used until the office resets it. If you are not sure of it, choose Cancel and ask at the office."},

		Office:          Text{"窓口: %s %s", "Office: %s, %s"},
		Phone:           Text{"電話: %s", "Phone: %s"},
		Hours:           Text{"受付: %s", "Hours: %s"},
		Bring:           Text{"お持ちいただくもの", "Please bring"},
		Reference:       Text{"受付番号: %s", "Reference: %s"},
		SlipPrinting:    Text{"案内の用紙を印刷しています。", "Printing your slip."},
		SlipPrinted:     Text{"案内の用紙を印刷しました。用紙をお取りください。", "Your slip has been printed. Please take it."},
		SlipNotPrinted:  Text{"用紙を印刷できませんでした。受付番号をメモするか写真にとって、窓口でお伝えください。", "The slip could not be printed. Please write down or photograph the reference and show it at the counter."},
		SlipNotRecorded: Text{"記録ができなかったため、用紙を印刷できませんでした。窓口でこの画面の内容をお伝えください。", "This could not be recorded, so no slip was printed. Please tell the counter what this screen says."},

		RemovedHead:      Text{"カードが抜かれました", "The card was taken out"},
		RemovedWhat:      Text{"暗証番号は変わっていません。続けるときは、もう一度カードを入れてください。", "Nothing was changed. To go on, please insert the card again."},
		RemovedMidChange: Text{"結果を確かめています。しばらくお待ちください。", "Checking the result. Please wait."},

		IdleHead: Text{"まだお使いですか", "Are you still there?"},
		IdleLeft: Text{"あと%d秒で終わります", "Ending in %d seconds"},
	}
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
