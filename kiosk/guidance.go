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
	// Retry: the card could not be read the first time; the page asks to
	// insert it again and has no slip (RetryPage).
	Retry bool
}

// Place is where to go, from configuration.
type Place struct {
	Name    Text // 〇〇村: whose residents the office serves
	Office  Text // 〇〇村役場 住民福祉課
	Counter Text
	Phone   string
	Hours   Text
}

// PlaceOf is the office in m.
func PlaceOf(m Municipality) Place {
	return Place{
		Name:    Text{m.Name, orJA(m.NameEN, m.Name)},
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
	// The card's own expiry, not the certificate's: read right after 「有効
	// 期限が切れています」, 「有効期限の切れていないカード」 said "do not come".
	bringValidCard = Text{"マイナンバーカード（カード自体の有効期限が切れていないもの）",
		"Your My Number Card (the card itself must be in date)"}
	bringMemo = Text{"暗証番号がわかるもの（メモなど）", "A note of the card's PINs, or anything that reminds you of them"}
	bringCard = Text{"マイナンバーカード", "Your My Number Card"}
	bringSlip = Text{"この用紙", "This slip"}
)

// The office that issues certificates and resets PINs is the one where the
// resident is registered (住所地), which need not be this village's.
const homeOffice = "住民票のある市区町村の窓口"

// Sentences more than one page uses.
var (
	// The village page's order: the proxy applies, the office mails an
	// inquiry to the resident, the resident answers, the proxy brings it.
	proxy = Text{
		"やむを得ない理由でご本人が来られないときは、代理の方が申請できます。市区町村からご本人の住所に照会書が届くので、ご本人が回答し、代理の方がその回答と委任状、代理の方の本人確認書類を持って窓口に行きます。",
		"If you cannot come for an unavoidable reason, a proxy may apply: you answer the inquiry the office mails you; the proxy brings it, a letter of delegation and their own ID."}
	kioskCannot  = Text{"この機械ではできません。", "This machine cannot do it."}
	resetAtOffic = Text{"ロックの解除（暗証番号の初期化）は、" + homeOffice + "でしかできません。", "Only your municipality's office can reset a locked PIN."}
	separateLock = Text{"ロックは暗証番号ごとに別々にかかります。", "Each PIN locks on its own."}
	dontGuess    = Text{"何度もためすと、ロックされるおそれがあります。", "Trying PINs to find out could lock the PIN."}
	// The machine's own faults go to the office in this building.
	askHere = Text{"役場の窓口でご相談ください。", "Please ask at the office counter here."}
	// The kiosk reads dates only: a revoked certificate looks the same.
	cannotSeeRevocation = Text{"失効しているかどうかは、カードに記録されないため、この機械ではわかりません。",
		"Whether it has been revoked is not recorded on the card, so this machine cannot tell."}
	// One name for putting a card in (差しこむ) and another for a PIN (入力する).
	insertAgain = Text{"カードをいったん抜いて、顔写真のある面を上にして、奥までもう一度差しこんでください。",
		"Please take the card out and insert it again, photo side up, all the way in."}
)

// OfficeBound reports whether code needs the office: it gets a guidance
// page and a slip.
func OfficeBound(code Code) bool {
	switch code {
	case CodeExpired, CodeRenewal, CodeNotYetValid, CodeDateUnknown, CodeCertBad,
		CodeAuthLocked, CodeSignLocked, CodeAuthLastTry, CodeSignLastTry, CodeNoAuthCert, CodeNoSignCert,
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
	if certPage(&p, code, CertName(subject)) {
		return p
	}
	if cardPage(&p, code, m) {
		return p
	}
	pin := PINName(subject)
	switch code {
	case CodeAuthLocked, CodeSignLocked:
		p.Title = Text{pin.JA + "がロックされています", "Your " + pin.EN + " is locked"}
		p.What = []Text{
			{"続けて" + itoa(subject.MaxTries()) + "回まちがえたため、ロックされました。", "It was entered wrongly " + itoa(subject.MaxTries()) + " times in a row, so it locked."},
			resetAtOffic,
			kioskCannot,
			separateLock,
		}
		p.Next = Text{"ロックされた暗証番号は、" + homeOffice + "で初期化してもらえます。持ち物は「つぎへ」でご案内します。", "Your municipality's office can reset a locked PIN. Choose Next to see what to bring."}
		p.Bring = []Text{bringCard}
	case CodeAuthLastTry, CodeSignLastTry:
		p.Title = Text{pin.JA + "は、あと1回まちがえるとロックされます", "One more wrong entry locks your " + pin.EN}
		p.What = []Text{
			{"暗証番号に自信がないときは、入力しないでください。", "If you are not sure of it, do not enter it."},
			{"忘れたときは、" + homeOffice + "で初期化してもらえます。", "If you have forgotten it, your municipality's office can reset it."},
		}
		p.Next = Text{"暗証番号に自信がないときは、入力しないでください。窓口のご案内は「つぎへ」でご覧ください。", "If you are not sure of it, do not enter it. Choose Next to see where the office is."}
		p.Bring = []Text{bringCard}
	case CodeChangeUnsure:
		p.Title = Text{pin.JA + "が変わったかどうか、確かめられませんでした", "We could not confirm whether your " + pin.EN + " changed"}
		p.What = []Text{
			{"変更の途中で、カードからの返事がとぎれました。新しい暗証番号と前の暗証番号の、どちらが使えるかわかりません。", "The card stopped answering during the change: either the new or the old PIN now works, we cannot tell which."},
			dontGuess,
			{homeOffice + "で暗証番号を初期化してもらえます。カードとこの用紙をお持ちください。", "Your municipality's office can reset the PIN. Please bring the card and this slip."},
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
			{"思い出せないときは、ためさずに、" + homeOffice + "で初期化してもらってください。", "If you cannot remember it, do not keep trying: have it reset at your municipality's office."}}
		p.Next = Text{"「つぎへ」でメニューにもどります。", "Choose Next to go back to the menu."}
	case CodeRemoved:
		p.Title = Catalogue().RemovedHead
		p.What = []Text{Catalogue().RemovedWhat}
		p.Next = p.What[0]
	default:
		p.Office = true
		p.Where = PlaceOf(m)
		p.Title = Text{"役場の窓口でご相談ください", "Please ask at the office"}
		p.Next = askHere
		p.Bring = []Text{bringCard}
	}
	return p
}

// cardPage fills p for what the card is or lacks (no certificate, a 住基
// カード, not a My Number Card, unreadable); false for any other code.
func cardPage(p *Page, code Code, m Municipality) bool {
	switch code {
	case CodeNoAuthCert:
		p.Title = Text{"このカードには" + nameAuthCert.JA + "が入っていません", "This card has no " + nameAuthCert.EN}
		p.What = []Text{
			{"マイナンバーカードを申請したときに発行を希望しなかった場合は、入っていません。", "It is not on the card if you declined it when applying for the card."},
			{homeOffice + "で発行を申請できます。", "You can apply for it at your municipality's office."},
			{"15歳未満の方と成年被後見人の方は、法定代理人が申請してください。", "For residents under 15 and adult wards, a legal representative applies."},
			proxy,
		}
		p.Next = Text{homeOffice + "で発行を申請できます。持ち物は「つぎへ」でご案内します。", "Your municipality's office can issue it. Choose Next to see what to bring."}
		p.Bring = []Text{bringValidCard, bringMemo}
	case CodeNoSignCert:
		p.Title = Text{"このカードには" + nameSignCert.JA + "が入っていません", "This card has no " + nameSignCert.EN}
		p.What = []Text{
			{"署名用電子証明書は、15歳未満の方と成年被後見人の方には発行されません。", "The signing certificate is not issued to residents under 15 or to adult wards."},
			{"マイナンバーカードを申請したときに発行を希望しなかった場合も、入っていません。", "It is also not on the card if you declined it when applying for the card."},
			{"15歳以上の方（成年被後見人の方を除きます）は、必要なときに、" + homeOffice + "で発行を申請できます。", "From age 15 (adult wards excepted), you can apply for one at your municipality's office."},
		}
		if m.ETax {
			p.What = append(p.What, Text{"この村では、署名用電子証明書を e-Tax の手続きに使えます。", "Here the signing certificate can be used for e-Tax."})
		}
		p.Next = Text{"15歳以上の方は、必要なときに窓口で申請できます。くわしくは「つぎへ」でご案内します。", "From age 15 you can apply at the office. Choose Next for details."}
		p.Bring = []Text{bringValidCard, bringMemo}
	case CodeJuki:
		p.Title = Text{"このカードは住民基本台帳カード（住基カード）です", "This card is a Basic Resident Register card (Juki card)"}
		p.What = []Text{
			{"住基カードへの電子証明書の発行は、終了しています。", "Certificates are no longer issued on Juki cards."},
			{"電子証明書を使うには、マイナンバーカードが必要です。", "To use the certificates, you need a My Number Card."},
			{"マイナンバーカードの申請については、" + homeOffice + "にお問い合わせください。", "For how to apply for a My Number Card, please ask your municipality's office."},
		}
		p.Next = Text{"マイナンバーカードをお持ちのときは、そちらを差しこんでください。", "If you have a My Number Card, please insert it instead."}
	case CodeNotJPKI:
		// What was checked: the card did not answer as a My Number Card.
		p.Title = Text{"このカードは、マイナンバーカードとして読み取れませんでした", "This card could not be read as a My Number Card"}
		p.What = []Text{
			{"この機械で使えるのは、マイナンバーカードだけです。", "This machine works with the My Number Card only."},
			{"マイナンバーカードを差しこみなおしても読み取れないときは、役場の窓口でご相談ください。", "If your My Number Card still cannot be read after inserting it again, please ask at the office counter here."},
		}
		p.Next = Text{"マイナンバーカードなのに読み取れないときは、役場の窓口でご相談ください。", "If it is your My Number Card, please ask at the office counter here."}
		p.Bring = []Text{bringCard}
	case CodeUnreadable:
		p.Title = Text{"カードを読み取れませんでした", "The card could not be read"}
		p.What = []Text{
			{"差しこみなおしても、読み取れませんでした。", "It could not be read after inserting it again either."},
			{"カードか、この機械の不具合かもしれません。役場の窓口でご相談ください。", "The card or this machine may be at fault. Please ask at the office counter here."},
		}
		p.Next = p.What[1]
		p.Bring = []Text{bringCard}
	default:
		return false
	}
	return true
}

// certPage fills p for a certificate verdict (the certificate named cert);
// it reports false for any other code.
func certPage(p *Page, code Code, cert Text) bool {
	subject := p.Subject
	switch code {
	case CodeValid:
		// The kiosk reads dates only: the headline says no more.
		p.Title = Text{cert.JA + "は、有効期限内です", "Your " + cert.EN + " is within its dates"}
		p.What = []Text{cannotSeeRevocation}
		if subject == PINSign {
			// The village page: this one is also revoked when name, birth
			// date, sex or address change.
			p.What = []Text{{"署名用電子証明書は、氏名・生年月日・性別・住所が変わると、有効期限内でも自動的に失効します。", "The signing certificate is revoked automatically when your name, date of birth, sex or address changes, even within its dates."}, cannotSeeRevocation}
		}
		p.Next = Text{"暗証番号の変更などは、「つぎへ」から選べます。", "To change a PIN and more, choose Next."}
	case CodeRenewal:
		p.Title = Text{cert.JA + "は、有効期限が近づいています", "Your " + cert.EN + " expires soon"}
		p.What = []Text{
			{"有効期限の3か月前から、" + homeOffice + "で更新できます。", "Your municipality's office renews it from 3 months before the expiry date."},
			kioskCannot,
			proxy,
		}
		p.Next = Text{homeOffice + "で更新できます。持ち物は「つぎへ」でご案内します。", "Your municipality's office can renew it. Choose Next to see what to bring."}
		p.Bring = []Text{bringValidCard, bringMemo}
	case CodeExpired:
		p.Title = Text{cert.JA + "の有効期限が切れています", "Your " + cert.EN + " has expired"}
		p.What = []Text{
			{"有効期限が切れた電子証明書は使えません。", "An expired certificate cannot be used."},
			{homeOffice + "で、新しい電子証明書の発行を申請できます。", "You can apply for a new one at your municipality's office."},
			kioskCannot,
			proxy,
		}
		p.Next = Text{homeOffice + "で新しい電子証明書を申請できます。持ち物は「つぎへ」でご案内します。", "Your municipality's office can issue a new one. Choose Next to see what to bring."}
		p.Bring = []Text{bringValidCard, bringMemo}
	case CodeNotYetValid:
		p.Title = Text{cert.JA + "の有効期間が、まだ始まっていません", "Your " + cert.EN + " is not valid yet"}
		p.What = []Text{
			{"この機械の時計か、電子証明書の日付がおかしいのかもしれません。", "This machine's clock or the certificate's dates may be wrong."},
			askHere,
		}
		p.Next = askHere
		p.Bring = []Text{bringCard}
	case CodeDateUnknown:
		// The machine's fault, not the resident's to check.
		p.Title = Text{"この機械の時計を確かめられないため、有効期限を判定できません", "This machine cannot be sure of its clock, so it cannot judge the expiry date"}
		p.What = []Text{
			{"この機械の不具合です。申し訳ありません。", "This is a fault of this machine. We are sorry."},
			{"表示している有効期限は、カードから読んだものです。", "The expiry shown was read from the card."},
			{"お手数ですが、役場の窓口にお知らせください。", "Please let the office counter here know."},
		}
		p.Next = p.What[2]
		p.Bring = []Text{bringCard}
	case CodeCertBad:
		p.Title = Text{cert.JA + "を読み取れませんでした", "Your " + cert.EN + " could not be read"}
		p.What = []Text{
			{"カードをいったん抜いて、もう一度差しこんでください。", "Please take the card out and insert it again."},
			{"それでも読み取れないときは、役場の窓口でご相談ください。", "If it still cannot be read, please ask at the office counter here."},
		}
		p.Next = Text{"カードを差しこみなおしても読み取れないときは、役場の窓口でご相談ください。", "If inserting it again does not help, please ask at the office counter here."}
		p.Bring = []Text{bringCard}
	default:
		return false
	}
	return true
}

// RetryPage is what a card that could not be read says the first time:
// it may only be upside down or not all the way in, so the resident is
// asked to insert it again before any slip is printed.
func RetryPage(code Code, m Municipality) Page {
	p := Guide(code, PINAuth, m)
	p.Office, p.Where, p.Bring = false, Place{}, nil
	p.Retry = true
	if code == CodeUnreadable {
		p.Title = Text{"カードを読み取れませんでした", "The card could not be read"}
	}
	p.What = []Text{insertAgain}
	p.Next = insertAgain
	return p
}

func itoa(n int) string { return strconv.Itoa(n) }
