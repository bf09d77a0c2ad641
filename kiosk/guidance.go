package kiosk

import "strconv"

// Page is what one state says to a resident, on the screen and on its
// slip alike: the screens and the printer both render from it, so they
// cannot drift apart. Every fact comes from the village's JPKI page
// (docs/rules.md) or from the kiosk's configuration.
type Page struct {
	Code Code
	// Subject is the PIN (or the certificate it protects) the page is
	// about, where the code does not say it by itself.
	Subject PINKind
	// Office: the resident must go to the office; the state gets a
	// guidance page and a printed slip.
	Office bool
	Title  Text   // the headline, subject first
	What   []Text // what it means and what to do
	Next   Text   // the one line under a status headline: what to do now
	Bring  []Text // what to bring to the office (as the village page lists it)
	Where  Place  // the office, from configuration (Office pages)
}

// Place is where to go, from configuration.
type Place struct {
	Office  Text // 〇〇村役場 住民福祉課
	Counter Text
	Phone   string
	Hours   Text
}

// PlaceOf is the office in m.
func PlaceOf(m Municipality) Place {
	return Place{
		Office:  Text{m.OfficeLine(), m.OfficeLineEN()},
		Counter: Text{m.Counter, orJA(m.CounterEN, m.Counter)},
		Phone:   m.Phone,
		Hours:   Text{m.Hours, orJA(m.HoursEN, m.Hours)},
	}
}

func orJA(en, ja string) string {
	if en == "" {
		return ja
	}
	return en
}

// What to bring, in the words of the village page.
var (
	bringValidCard = Text{"有効期限の切れていないマイナンバーカード", "Your My Number Card (not expired)"}
	bringMemo      = Text{"暗証番号がわかるもの（メモなど）", "Something that tells you the card's PINs (a note, for example)"}
	bringCard      = Text{"マイナンバーカード", "Your My Number Card"}
	bringSlip      = Text{"この用紙", "This slip"}
)

// Sentences more than one page uses.
var (
	proxy = Text{
		"やむを得ない理由でご本人が来られないときは、代理の方も申請できます。役場からご本人の住所に届く照会書へのご本人の回答、代理権を委任した書類（委任状）、代理の方の本人確認書類が必要です。",
		"If you cannot come yourself for an unavoidable reason, a proxy may apply: the office mails an inquiry to your address, and the proxy brings your answer, a letter of delegation and the proxy's own ID."}
	kioskCannot  = Text{"このキオスクではできません。", "This kiosk cannot do it."}
	resetAtOffic = Text{"ロックの解除（暗証番号の初期化）は、役場の窓口でだけできます。", "Only the office can reset a locked PIN."}
	separateLock = Text{"ロックは暗証番号ごとに別々にかかります。", "Each PIN locks on its own."}
	dontGuess    = Text{"何度もためすと、ロックされるおそれがあります。", "Trying PINs to find out could lock the PIN."}
	askOffice    = Text{"役場の窓口でご相談ください。", "Please ask at the office."}
)

// OfficeBound reports whether code needs the office: it gets a guidance
// page and a slip.
func OfficeBound(code Code) bool {
	switch code {
	case CodeExpired, CodeRenewal, CodeNotYetValid, CodeDateUnknown, CodeCertBad,
		CodeAuthLocked, CodeSignLocked, CodeNoAuthCert, CodeNoSignCert,
		CodeJuki, CodeNotJPKI, CodeUnreadable, CodeChangeUnsure:
		return true
	}
	return false
}

// lockedPIN is the PIN a code names by itself, if it names one.
func lockedPIN(code Code) (PINKind, bool) {
	switch code {
	case CodeAuthLocked, CodeAuthLastTry:
		return PINAuth, true
	case CodeSignLocked, CodeSignLastTry, CodeNoSignCert:
		return PINSign, true
	}
	return PINAuth, false
}

// Guide returns the page for code. subject says which certificate a
// certificate verdict is about and which PIN an outcome is about; codes
// that name their PIN (auth_locked, sign_locked, …) ignore it.
func Guide(code Code, subject PINKind, m Municipality) Page {
	if k, ok := lockedPIN(code); ok {
		subject = k
	}
	p := Page{Code: code, Subject: subject, Office: OfficeBound(code)}
	if p.Office {
		p.Where = PlaceOf(m)
	}
	cert, pin := CertName(subject), PINName(subject)
	switch code {
	case CodeValid:
		p.Title = Text{cert.JA + "は有効です", "Your " + cert.EN + " is valid"}
		if subject == PINSign {
			// The kiosk reads dates; the village page says this one is
			// also revoked when name, birth date, sex or address change.
			p.What = []Text{{"氏名・生年月日・性別・住所が変わったときは、有効期限の前でも自動的に失効しています。", "If your name, date of birth, sex or address has changed, it has been revoked automatically, even before the expiry date."}}
		}
		p.Next = Text{"暗証番号の変更などは、「つぎへ」から選べます。", "To change a PIN and more, choose Next."}
	case CodeRenewal:
		p.Title = Text{cert.JA + "は、有効期限が近づいています", "Your " + cert.EN + " expires soon"}
		p.What = []Text{
			{"有効期限の3か月前から、役場の窓口で更新できます。", "The office renews it from 3 months before the expiry date."},
			kioskCannot,
			{"有効期限までは、今の電子証明書をそのまま使えます。", "Until the expiry date, your current certificate still works."},
			proxy,
		}
		p.Next = Text{"役場の窓口で更新できます。持ち物は「つぎへ」でご案内します。", "The office can renew it. Choose Next to see what to bring."}
		p.Bring = []Text{bringValidCard, bringMemo}
	case CodeExpired:
		p.Title = Text{cert.JA + "の有効期限が切れています", "Your " + cert.EN + " has expired"}
		p.What = []Text{
			{"有効期限が切れた電子証明書は使えません。", "An expired certificate cannot be used."},
			{"役場の窓口で、新しい電子証明書の発行を申請できます。", "You can apply for a new one at the office."},
			kioskCannot,
			proxy,
		}
		p.Next = Text{"役場の窓口で新しい電子証明書を申請できます。持ち物は「つぎへ」でご案内します。", "You can apply for a new one at the office. Choose Next to see what to bring."}
		p.Bring = []Text{bringValidCard, bringMemo}
	case CodeNotYetValid:
		p.Title = Text{cert.JA + "の有効期間が、まだ始まっていません", "Your " + cert.EN + " is not valid yet"}
		p.What = []Text{
			{"このキオスクの時計か、電子証明書の日付がおかしいのかもしれません。", "The kiosk's clock or the certificate's dates may be wrong."},
			askOffice,
		}
		p.Next = askOffice
		p.Bring = []Text{bringCard}
	case CodeDateUnknown:
		p.Title = Text{"このキオスクの時計が正しいか確かめられないため、有効期限を判定できません", "The kiosk cannot be sure of its clock, so it cannot judge the expiry date"}
		p.What = []Text{
			{"表示している有効期限の日付を、ご自分でお確かめください。", "Please compare the expiry date shown with today's date yourself."},
			{"わからないときは、役場の窓口でご相談ください。", "If you are unsure, please ask at the office."},
		}
		p.Next = Text{"表示している日付をご自分でお確かめください。", "Please check the dates shown yourself."}
		p.Bring = []Text{bringCard}
	case CodeCertBad:
		p.Title = Text{cert.JA + "を読み取れませんでした", "Your " + cert.EN + " could not be read"}
		p.What = []Text{
			{"カードをいったん抜いて、もう一度入れてください。", "Please take the card out and insert it again."},
			{"それでも読み取れないときは、役場の窓口でご相談ください。", "If it still cannot be read, please ask at the office."},
		}
		p.Next = Text{"カードを入れなおしても読めないときは、役場の窓口でご相談ください。", "If inserting it again does not help, please ask at the office."}
		p.Bring = []Text{bringCard}
	case CodeAuthLocked, CodeSignLocked:
		p.Title = Text{pin.JA + "がロックされています", "Your " + pin.EN + " is locked"}
		p.What = []Text{
			{"続けて" + itoa(subject.MaxTries()) + "回まちがえたため、ロックされました。", "It was entered wrongly " + itoa(subject.MaxTries()) + " times in a row, so it locked."},
			resetAtOffic,
			kioskCannot,
			separateLock,
		}
		p.Next = Text{"ロックされた暗証番号は、役場の窓口で初期化できます。持ち物は「つぎへ」でご案内します。", "The office can reset a locked PIN. Choose Next to see what to bring."}
		p.Bring = []Text{bringCard}
	case CodeAuthLastTry, CodeSignLastTry:
		p.Title = Text{pin.JA + "は、あと1回まちがえるとロックされます", "One more wrong entry locks your " + pin.EN}
		p.What = []Text{{"暗証番号を忘れたときは、入れないで、役場の窓口で初期化してもらえます。", "If you have forgotten it, do not enter it: the office can reset it."}}
		p.Next = p.What[0]
	case CodeNoAuthCert:
		p.Title = Text{"このカードには" + nameAuthCert.JA + "が入っていません", "This card has no " + nameAuthCert.EN}
		p.What = []Text{
			{"マイナンバーカードを申請したときに発行を希望しなかった場合は、入っていません。", "It is not on the card if you chose not to have it when you applied for the card."},
			{"役場の窓口で発行を申請できます。", "You can apply for it at the office."},
			{"15歳未満の方と成年被後見人の方は、法定代理人が申請してください。", "For residents under 15 and adult wards, a legal representative applies."},
			proxy,
		}
		p.Next = Text{"役場の窓口で発行を申請できます。持ち物は「つぎへ」でご案内します。", "You can apply for it at the office. Choose Next to see what to bring."}
		p.Bring = []Text{bringValidCard, bringMemo}
	case CodeNoSignCert:
		p.Title = Text{"このカードには" + nameSignCert.JA + "が入っていません", "This card has no " + nameSignCert.EN}
		p.What = []Text{
			{"署名用電子証明書は、15歳未満の方と成年被後見人の方には発行されません。", "The signing certificate is not issued to residents under 15 or to adult wards."},
			{"マイナンバーカードを申請したときに発行を希望しなかった場合も、入っていません。", "It is also not on the card if you chose not to have it when you applied for the card."},
			{"必要なときは、役場の窓口で発行を申請できます。", "If you need one, you can apply at the office."},
		}
		if m.ETax {
			p.What = append(p.What, Text{"この村では、署名用電子証明書を e-Tax の手続きに使えます。", "Here the signing certificate can be used for e-Tax."})
		}
		p.Next = Text{"必要なときは、役場の窓口で申請できます。くわしくは「つぎへ」でご案内します。", "If you need one, you can apply at the office. Choose Next for details."}
		p.Bring = []Text{bringValidCard, bringMemo}
	case CodeJuki:
		p.Title = Text{"このカードは住民基本台帳カード（住基カード）です", "This card is a Basic Resident Register card (Juki card)"}
		p.What = []Text{
			{"住基カードへの電子証明書の発行は、終了しています。", "Certificates are no longer issued on Juki cards."},
			{"電子証明書を使うには、マイナンバーカードが必要です。", "To use the certificates, you need a My Number Card."},
			{"マイナンバーカードの申請については、役場の窓口にお問い合わせください。", "For how to apply for a My Number Card, please ask the office."},
		}
		p.Next = Text{"マイナンバーカードをお持ちのときは、そちらを入れてください。", "If you have a My Number Card, please insert it instead."}
	case CodeNotJPKI:
		p.Title = Text{"このカードはマイナンバーカードではないようです", "This card does not seem to be a My Number Card"}
		p.What = []Text{
			{"このキオスクで使えるのは、マイナンバーカードだけです。", "This kiosk works with the My Number Card only."},
			{"マイナンバーカードを、顔写真のある面を上にして入れてください。", "Please insert your My Number Card, photo side up."},
			{"マイナンバーカードなのに読めないときは、役場の窓口でご相談ください。", "If your My Number Card is not recognised, please ask at the office."},
		}
		p.Next = Text{"マイナンバーカードを入れてください。", "Please insert your My Number Card."}
		p.Bring = []Text{bringCard}
	case CodeUnreadable:
		p.Title = Text{"カードを読み取れませんでした", "The card could not be read"}
		p.What = []Text{
			{"カードをいったん抜いて、向きを確かめて、もう一度入れてください。", "Please take the card out, check which way up it goes, and insert it again."},
			{"何度入れても読み取れないときは、役場の窓口でご相談ください。", "If it still cannot be read, please ask at the office."},
		}
		p.Next = p.What[0]
		p.Bring = []Text{bringCard}
	case CodeChangeUnsure:
		p.Title = Text{pin.JA + "が変わったかどうか、確かめられませんでした", "We could not confirm whether your " + pin.EN + " changed"}
		p.What = []Text{
			{"変更の途中で、カードからの返事がとぎれました。新しい暗証番号と前の暗証番号の、どちらが使えるかわかりません。", "The card stopped answering during the change: either the new or the old PIN now works, we cannot tell which."},
			dontGuess,
			{"役場の窓口で暗証番号を初期化できます。カードとこの用紙をお持ちください。", "The office can reset the PIN. Please bring the card and this slip."},
		}
		p.Next = p.What[2]
		p.Bring = []Text{bringCard, bringSlip}
	case CodePINChanged:
		p.Title = Text{pin.JA + "を変更しました", "Your " + pin.EN + " has been changed"}
		p.What = []Text{
			{"次からは、新しい暗証番号をお使いください。", "From now on, please use the new PIN."},
			{"用紙に暗証番号は印刷されません。", "No PIN is printed on the slip."},
		}
		p.Next = p.What[0]
	case CodeWrongPIN:
		p.Title = Text{pin.JA + "がちがいます", "That " + pin.EN + " is not correct"}
		p.What = []Text{{"暗証番号は変わっていません。", "Nothing was changed."},
			{"思い出せないときは、ためさずに、役場の窓口で初期化してください。", "If you cannot remember it, please have it reset at the office rather than trying."}}
		p.Next = Text{"「つぎへ」でメニューにもどります。", "Choose Next to go back to the menu."}
	case CodeRemoved:
		p.Title = Catalogue().RemovedHead
		p.What = []Text{Catalogue().RemovedWhat}
		p.Next = p.What[0]
	default:
		p.Office = true
		p.Where = PlaceOf(m)
		p.Title = Text{"役場の窓口でご相談ください", "Please ask at the office"}
		p.Next = askOffice
		p.Bring = []Text{bringCard}
	}
	return p
}

func itoa(n int) string { return strconv.Itoa(n) }
