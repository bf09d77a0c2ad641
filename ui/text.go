package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// Lang is the screen language.
type Lang int

const (
	Japanese Lang = iota // default
	English
)

// ParseLang maps the configuration's "ja"/"en".
func ParseLang(s string) Lang {
	if s == "en" {
		return English
	}
	return Japanese
}

// tr is one message in both languages. Japanese is written for residents:
// plain words, no jargon, kind.
type tr struct{ ja, en string }

func (t tr) in(l Lang) string {
	if l == English {
		return t.en
	}
	return t.ja
}

func (t tr) f(l Lang, args ...any) string { return fmt.Sprintf(t.in(l), args...) }

// Labels and fixed lines.
var (
	tTitle      = tr{"マイナンバーカード 電子証明書の確認", "My Number Card certificate check"}
	tLangSwitch = tr{"English", "日本語"}

	tInsert     = tr{"マイナンバーカードを差しこんでください", "Please insert your My Number Card"}
	tInsertHow  = tr{"顔写真のある面を上にして、奥まで差しこんでください。", "Photo side up, push it all the way in."}
	tInsertFree = tr{"有効期限や暗証番号の残り回数を確かめられます。暗証番号の変更もできます。", "You can check the expiry date and PIN tries left, and change your PINs."}
	tMaint      = tr{"%sは全国一斉のシステム保守日です。この日は役場での電子証明書の手続きができません。", "%s is the national maintenance day: the office cannot handle certificates that day."}

	tReading     = tr{"カードを読んでいます", "Reading your card"}
	tWorking     = tr{"カードとやりとりしています", "Talking to your card"}
	tDontRemove  = tr{"カードを抜かないで、そのままお待ちください。", "Please wait. Do not remove the card."}
	tTakeCard    = tr{"カードをお取りください", "Please take your card"}
	tTakeCardSub = tr{"ご利用ありがとうございました。", "Thank you."}
	tOOS         = tr{"ただいま使えません", "Out of service"}
	tOOSSub      = tr{"申し訳ありません。役場の窓口へお声がけください。", "Sorry. Please ask at the office counter."}

	tNext     = tr{"つぎへ", "Next"}
	tBack     = tr{"もどる", "Back"}
	tFinish   = tr{"おわる", "Finish"}
	tCancel   = tr{"やめる", "Cancel"}
	tDecide   = tr{"決定", "OK"}
	tClear    = tr{"クリア", "Clear"}
	tDelete   = tr{"1字けす", "Delete"}
	tContinue = tr{"つづける", "Continue"}
	tGoOn     = tr{"入力する", "Enter PIN"}
	tMenuHead = tr{"なにをしますか", "What would you like to do?"}
	tNotNow   = tr{"（できません）", "(not available)"}

	tMenuStatus     = tr{"カードの状態を見る", "Check the card"}
	tMenuChangeAuth = tr{"4けたの暗証番号を変える", "Change the 4-digit PIN"}
	tMenuChangeSign = tr{"署名用の暗証番号を変える", "Change the signing PIN"}
	tMenuCheckSign  = tr{"署名用電子証明書を確かめる", "Check the signing certificate"}

	tValidUntil  = tr{"有効期限（利用者証明用）: %s", "Valid until (authentication): %s"}
	tValidFrom   = tr{"有効期間のはじまり: %s", "Valid from: %s"}
	tDaysLeft    = tr{"あと %d 日", "%d days left"}
	tLastDay     = tr{"今日が最後の日です", "Today is the last day"}
	tRenewFrom   = tr{"更新の受付: %s から", "Renewal accepted from: %s"}
	tTriesHead   = tr{"暗証番号をまちがえてよい残り回数", "PIN tries left"}
	tTriesAuth   = tr{"4けた（利用者証明用）: %s", "4-digit (authentication): %s"}
	tTriesSign   = tr{"署名用: %s", "Signing: %s"}
	tTimes       = tr{"あと %d 回", "%d"}
	tLockedShort = tr{"ロック中", "locked"}
	tNone        = tr{"なし", "none"}
	tSignYes     = tr{"署名用電子証明書: 入っています", "Signing certificate: on the card"}
	tSignNo      = tr{"署名用電子証明書: 入っていません", "Signing certificate: not on the card"}

	tPINNow     = tr{"いまの%sを入れてください", "Enter your current %s"}
	tPINNew     = tr{"新しい%sを入れてください", "Enter your new %s"}
	tPINAgain   = tr{"確認のため、新しい%sをもう一度入れてください", "Enter the new %s again to confirm"}
	tPINSignChk = tr{"署名用電子証明書を確かめるため、%sを入れてください", "To check the signing certificate, enter your %s"}
	tAuthPIN    = tr{"4けたの暗証番号（利用者証明用）", "4-digit PIN (authentication)"}
	tSignPIN    = tr{"署名用の暗証番号", "signing PIN"}
	tTriesNow   = tr{"まちがえてよい残り回数: あと %d 回", "Tries left before it locks: %d"}
	tTriesOne   = tr{"のこり 1 回です。まちがえるとロックされます。", "Only 1 try left. A wrong PIN will lock it."}
	tMismatch   = tr{"2回の入力がちがっていました。もう一度お願いします。", "The two entries did not match. Please try again."}
	tRuleAuth   = tr{"数字 4 けた", "4 digits"}
	tRuleLen    = tr{"6〜16文字", "6 to 16 characters"}
	tRuleLetter = tr{"英字（A〜Z）を1つ以上", "at least one letter A-Z"}
	tRuleDigit  = tr{"数字（0〜9）を1つ以上", "at least one digit 0-9"}
	tRuleCase   = tr{"小文字は大文字として送ります。", "Lower case is sent as upper case."}
	tProbShort  = tr{"文字数がたりません", "Too short"}
	tProbLong   = tr{"文字数が多すぎます", "Too long"}
	tProbChar   = tr{"使えない文字があります", "A character is not allowed"}
	tProbLetter = tr{"英字（A〜Z）を入れてください", "Add a letter A-Z"}
	tProbDigit  = tr{"数字（0〜9）を入れてください", "Add a digit 0-9"}

	tLastTryHead = tr{"のこり 1 回です", "Last try"}
	tLastTryBody = tr{"%sは、あと 1 回まちがえるとロックされ、役場の窓口でしか元にもどせません。番号に自信がないときは「やめる」を押して、窓口へご相談ください。", "Your %s locks after one more wrong entry, and only the office can unlock it. If you are not sure of it, touch Cancel and ask at the office."}

	tResChanged  = tr{"暗証番号を変えました", "Your PIN has been changed"}
	tResChgSub   = tr{"新しい%sは、次から使えます。", "Use your new %s from now on."}
	tResWrong    = tr{"暗証番号がちがいました", "The PIN was not correct"}
	tResWrongSub = tr{"%sをまちがえてよい残り回数は、あと %d 回です。", "%s: %d tries left before it locks."}
	tResLocked   = tr{"暗証番号がロックされました", "The PIN is now locked"}
	tResUnknown  = tr{"変わったかどうか確かめられませんでした", "We could not confirm the change"}
	tResFailed   = tr{"カードを読み取れませんでした", "The card could not be read"}
	tResSignHead = tr{"署名用電子証明書", "Signing certificate"}
	tSignUntil   = tr{"有効期限（署名用）: %s", "Valid until (signing): %s"}

	tOffice      = tr{"窓口: %s %s", "Office: %s, %s"}
	tPhone       = tr{"電話: %s", "Phone: %s"}
	tHours       = tr{"受付: %s", "Hours: %s"}
	tBring       = tr{"お持ちいただくもの", "Please bring"}
	tBringCard   = tr{"マイナンバーカード", "Your My Number Card"}
	tBringMemo   = tr{"暗証番号を思い出せるもの（メモなど）", "Something that reminds you of your PINs"}
	tReference   = tr{"受付番号: %s", "Reference: %s"}
	tPaperOut    = tr{"案内の紙を印刷できませんでした", "The slip could not be printed"}
	tPaperOutSub = tr{"この番号をメモするか、写真にとって、窓口でお伝えください。", "Please write down or photograph this number and show it at the counter."}

	tIdleHead = tr{"まだお使いですか", "Are you still there?"}
	tIdleBody = tr{"あと %d 秒でおわります", "Ending in %d seconds"}
)

// headline is the big answer on the status screen, by the leading code.
var headline = map[kiosk.Code]tr{
	kiosk.CodeValid:        {"有効です", "Valid"},
	kiosk.CodeRenewal:      {"更新できます", "You can renew it"},
	kiosk.CodeExpired:      {"期限切れです", "Expired"},
	kiosk.CodeNotYetValid:  {"まだ使えません", "Not valid yet"},
	kiosk.CodeDateUnknown:  {"日付を確認できません", "The date cannot be checked"},
	kiosk.CodeCertBad:      {"証明書を読み取れません", "The certificate cannot be read"},
	kiosk.CodeAuthLocked:   {"ロック中です（4けたの暗証番号）", "Locked (4-digit PIN)"},
	kiosk.CodeSignLocked:   {"ロック中です（署名用の暗証番号）", "Locked (signing PIN)"},
	kiosk.CodeAuthLastTry:  {"4けたの暗証番号は のこり 1 回です", "4-digit PIN: 1 try left"},
	kiosk.CodeSignLastTry:  {"署名用の暗証番号は のこり 1 回です", "Signing PIN: 1 try left"},
	kiosk.CodeNoAuthCert:   {"利用者証明用の証明書が入っていません", "No authentication certificate"},
	kiosk.CodeNoSignCert:   {"署名用電子証明書は入っていません", "No signing certificate on this card"},
	kiosk.CodeJuki:         {"住基カードです", "This is a Juki card"},
	kiosk.CodeNotJPKI:      {"マイナンバーカードではないようです", "This does not seem to be a My Number Card"},
	kiosk.CodeUnreadable:   {"カードを読み取れませんでした", "The card could not be read"},
	kiosk.CodeChangeUnsure: {"暗証番号が変わったか確かめられませんでした", "We could not confirm the PIN change"},
}

// nextStep is the one line under the answer: what to do now.
var nextStep = map[kiosk.Code]tr{
	kiosk.CodeValid:        {"このまま使えます。暗証番号の変更などは「つぎへ」からどうぞ。", "You can keep using it. To change a PIN, touch Next."},
	kiosk.CodeRenewal:      {"有効期限が近づいています。役場の窓口で更新できます。", "It expires soon. You can renew it at the office."},
	kiosk.CodeExpired:      {"役場の窓口で新しい証明書を入れられます。", "The office can put a new certificate on your card."},
	kiosk.CodeNotYetValid:  {"有効期間のはじまりを過ぎてからお使いください。", "Please use it after the start date."},
	kiosk.CodeDateUnknown:  {"この機械の時計が確かでないため、期限の判定をしていません。表示の日付でお確かめください。", "This machine's clock cannot be trusted, so it does not judge the dates. Please check them yourself."},
	kiosk.CodeCertBad:      {"役場の窓口でお確かめください。", "Please ask at the office."},
	kiosk.CodeAuthLocked:   {"役場の窓口で暗証番号を設定しなおせます。", "The office can reset your PIN."},
	kiosk.CodeSignLocked:   {"役場の窓口で暗証番号を設定しなおせます。", "The office can reset your PIN."},
	kiosk.CodeAuthLastTry:  {"番号に自信がないときは、役場の窓口へご相談ください。", "If you are not sure of it, ask at the office."},
	kiosk.CodeSignLastTry:  {"番号に自信がないときは、役場の窓口へご相談ください。", "If you are not sure of it, ask at the office."},
	kiosk.CodeNoAuthCert:   {"役場の窓口で入れられます。", "The office can add it."},
	kiosk.CodeNoSignCert:   {"15歳未満の方などは入っていません。必要なときは役場の窓口で入れられます。", "Cards of children under 15 and some others do not have one. The office can add it if you need it."},
	kiosk.CodeJuki:         {"住基カードへの電子証明書の発行は終わりました。マイナンバーカードでお使いください。", "Certificates are no longer issued on Juki cards. Please use a My Number Card."},
	kiosk.CodeNotJPKI:      {"向きを確かめて、マイナンバーカードを差しこんでください。", "Check the card and its direction, then insert your My Number Card."},
	kiosk.CodeUnreadable:   {"いったん抜いて、向きを確かめてもう一度差しこんでください。", "Take it out, check the direction and insert it again."},
	kiosk.CodeChangeUnsure: {"カードが途中で抜かれたようです。役場の窓口でお確かめください。", "The card seems to have been removed. Please check at the office."},
}

// guidance explains an office-bound state: why, and what to bring.
type guide struct {
	body  tr
	bring []tr
}

var guidance = map[kiosk.Code]guide{
	kiosk.CodeRenewal: {tr{"有効期限の3か月前から、役場の窓口で更新できます。手続きのときに暗証番号を入れていただきます。", "Renewal is accepted from 3 months before expiry at the office. You will enter your PINs there."},
		[]tr{tBringCard, tBringMemo}},
	kiosk.CodeExpired: {tr{"有効期限が過ぎた証明書は使えません。役場の窓口で新しい証明書を入れられます。", "An expired certificate cannot be used. The office can put a new one on your card."},
		[]tr{tBringCard, tBringMemo}},
	kiosk.CodeAuthLocked: {tr{"4けたの暗証番号を3回まちがえたため、ロックされています。署名用の暗証番号は別なので、影響はありません。役場の窓口で設定しなおせます。", "The 4-digit PIN locked after 3 wrong entries. The signing PIN is separate and not affected. The office can reset it."},
		[]tr{tBringCard}},
	kiosk.CodeSignLocked: {tr{"署名用の暗証番号を5回まちがえたため、ロックされています。4けたの暗証番号は別なので、影響はありません。役場の窓口で設定しなおせます。", "The signing PIN locked after 5 wrong entries. The 4-digit PIN is separate and not affected. The office can reset it."},
		[]tr{tBringCard}},
	kiosk.CodeNoSignCert: {tr{"このカードには署名用電子証明書が入っていません。15歳未満の方や、入れないことを選んだ方などのカードです。e-Taxなどで必要になったら、役場の窓口で入れられます。", "This card has no signing certificate: children under 15 and people who chose not to have one, for example. If you need it for e-Tax, the office can add it."},
		[]tr{tBringCard, tBringMemo}},
	kiosk.CodeNoAuthCert: {tr{"このカードには利用者証明用電子証明書が入っていません。役場の窓口で入れられます。", "This card has no authentication certificate. The office can add it."},
		[]tr{tBringCard, tBringMemo}},
	kiosk.CodeJuki: {tr{"住基カードへの電子証明書の発行は終わりました。マイナンバーカードをお持ちでない方は、役場の窓口でご相談ください。", "Certificates are no longer issued on Juki cards. If you do not have a My Number Card, please ask at the office."},
		[]tr{{"住基カード", "Your Juki card"}}},
	kiosk.CodeNotJPKI: {tr{"このカードは読めますが、マイナンバーカードではないようです。マイナンバーカードを差しこんでください。", "This card does not seem to be a My Number Card. Please insert your My Number Card."},
		nil},
	kiosk.CodeUnreadable: {tr{"カードを読み取れませんでした。向きを確かめてもう一度差しこんでください。何度やっても読めないときは、役場の窓口でお確かめください。", "The card could not be read. Check the direction and insert it again. If it still cannot be read, please ask at the office."},
		[]tr{tBringCard}},
	kiosk.CodeChangeUnsure: {tr{"暗証番号を変えている途中で、カードからの返事がありませんでした。新しい番号になったかどうか、役場の窓口でお確かめください。", "The card stopped answering while the PIN was being changed, so we cannot tell whether it changed. Please check at the office."},
		[]tr{tBringCard}},
	kiosk.CodeDateUnknown: {tr{"この機械の時計が確かでないため、有効期限の判定ができません。役場の窓口でお確かめいただけます。", "This machine's clock cannot be trusted, so it cannot judge expiry. The office can check it for you."},
		[]tr{tBringCard}},
	kiosk.CodeCertBad: {tr{"証明書の中身を読み取れませんでした。役場の窓口でお確かめください。", "The certificate on the card could not be read. Please ask at the office."},
		[]tr{tBringCard}},
	kiosk.CodeNotYetValid: {tr{"有効期間のはじまる前の証明書です。役場の窓口でお確かめいただけます。", "The certificate is not valid yet. The office can check it for you."},
		[]tr{tBringCard}},
}

// dateText writes a calendar date in JST.
func dateText(l Lang, t time.Time) string {
	t = t.In(kiosk.JST())
	if l == English {
		return t.Format("2 Jan 2006")
	}
	wd := [...]string{"日", "月", "火", "水", "木", "金", "土"}[t.Weekday()]
	return fmt.Sprintf("%d年%d月%d日（%s）", t.Year(), int(t.Month()), t.Day(), wd)
}

func pinName(l Lang, k kiosk.PINKind) string {
	if k == kiosk.PINSign {
		return tSignPIN.in(l)
	}
	return tAuthPIN.in(l)
}

func problemText(l Lang, p kiosk.PINProblem) string {
	switch p {
	case kiosk.PINTooShort:
		return tProbShort.in(l)
	case kiosk.PINTooLong:
		return tProbLong.in(l)
	case kiosk.PINBadChar:
		return tProbChar.in(l)
	case kiosk.PINNeedLetter:
		return tProbLetter.in(l)
	case kiosk.PINNeedDigit:
		return tProbDigit.in(l)
	}
	return ""
}

// plain replaces ambiguous-width punctuation that configuration text may
// carry (en dash in "8:30–17:15", arrows) by ASCII, so it measures the
// same on every terminal.
func plain(s string) string {
	return ambiguousReplacer.Replace(s)
}

var ambiguousReplacer = strings.NewReplacer(
	"–", "-", "—", "-", "‐", "-", "→", "->", "←", "<-", "…", "...",
	"○", "o", "●", "*", "※", "*", "×", "x", "・", "・", "“", "\"", "”", "\"", "‘", "'", "’", "'",
	"°", " deg", "±", "+/-", "§", "S",
)
