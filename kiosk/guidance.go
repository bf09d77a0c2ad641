package kiosk

import (
	"fmt"
	"time"
)

// Guidance tells a resident what a state means and what to do next, in
// Japanese first and English beside it. Every fact in it comes from the
// village's JPKI page (docs/rules.md) or from the kiosk's configuration.
type Guidance struct {
	Code        Code
	NeedsOffice bool // the resident must go to the office to fix this
	TitleJA     string
	TitleEN     string
	WhatJA      []string // what happened and what to do
	WhatEN      []string
	BringJA     []string // what to bring to the office
	BringEN     []string
	// FeeJA/FeeEN state a fee only where the village page states one;
	// empty otherwise (the kiosk never guesses a fee).
	FeeJA    string
	FeeEN    string
	RoutesJA []string // other ways to get this done
	RoutesEN []string
	Where    Place
}

// Place is where to go, from configuration.
type Place struct {
	OfficeJA, OfficeEN   string
	CounterJA, CounterEN string
	Phone                string
	HoursJA, HoursEN     string
	Address              string
}

// PlaceOf is the office in m as a Place.
func PlaceOf(m Municipality) Place {
	return Place{
		OfficeJA: m.OfficeLine(), OfficeEN: m.OfficeLineEN(),
		CounterJA: m.Counter, CounterEN: m.CounterEN,
		Phone:   m.Phone,
		HoursJA: m.Hours, HoursEN: m.HoursEN,
		Address: m.Address,
	}
}

// Plain names of the PINs and certificates, used on screens and slips.
const (
	authPINJA  = "4けたの暗証番号（利用者証明用）"
	authPINEN  = "4-digit PIN (user authentication)"
	signPINJA  = "英数字6〜16けたの暗証番号（署名用）"
	signPINEN  = "6–16 character PIN (signature)"
	authCertJA = "利用者証明用電子証明書"
	authCertEN = "user-authentication certificate"
	signCertJA = "署名用電子証明書"
	signCertEN = "signing certificate"
)

// PINNameJA / PINNameEN are the plain names of a PIN.
func PINNameJA(k PINKind) string { return pick(k, authPINJA, signPINJA) }

// PINNameEN is the English name of a PIN.
func PINNameEN(k PINKind) string { return pick(k, authPINEN, signPINEN) }

func pick(k PINKind, auth, sign string) string {
	if k == PINSign {
		return sign
	}
	return auth
}

// Things to bring, as the village page lists them.
const (
	bringCardJA   = "マイナンバーカード"
	bringCardEN   = "Your My Number Card"
	bringValidJA  = "有効期限の切れていないマイナンバーカード"
	bringValidEN  = "Your My Number Card (not expired)"
	bringMemoJA   = "暗証番号がわかるもの（メモなど）"
	bringMemoEN   = "Something that reminds you of the card's PINs"
	bringSlipJA   = "この用紙（受付番号が書いてあります）"
	bringSlipEN   = "This slip (it has the reference number)"
	proxyJA       = "ご本人が来られないときは代理の方も申請できます。照会書の回答・委任状・代理の方の本人確認書類が必要です。くわしくはお問い合わせください。"
	proxyEN       = "If you cannot come yourself, a proxy may apply with your answer to the office's inquiry letter, a letter of delegation and the proxy's own ID. Please ask the office."
	reissueFeeJA  = "ご自身の事情でカードを再交付し、電子証明書も入れ直す場合は、発行手数料200円がかかります（2つの証明書を同時に申し込むときは署名用だけ200円、利用者証明用は無料）。"
	reissueFeeEN  = "If the card is re-issued for a reason of your own and you want the certificates again, the fee is 200 yen (both together: only the signing certificate is charged; the authentication certificate is free)."
	pcChangeJA    = "暗証番号の変更は、役場の窓口のほか、パソコン（利用者クライアントソフトとICカードリーダライタ）でもできます。"
	pcChangeEN    = "You can also change a PIN at the office, or on a PC with the JPKI client software and an IC card reader."
	noRepeatTryJA = "確かめるために何度も入力しないでください。ロックされるおそれがあります。"
	noRepeatTryEN = "Please do not try PINs to find out: the PIN could lock."
)

// Guide returns the guidance for code. cert says which certificate a
// certificate verdict (expired, renewal, not yet valid, date unknown, last
// try) is about; it is ignored for codes that name their PIN.
func Guide(code Code, cert PINKind, m Municipality) Guidance {
	g := Guidance{Code: code, Where: PlaceOf(m)}
	certJA, certEN := pick(cert, authCertJA, signCertJA), pick(cert, authCertEN, signCertEN)
	office := func() {
		g.NeedsOffice = true
	}
	switch code {
	case CodeValid:
		g.TitleJA, g.TitleEN = certJA+"は有効です", "Your "+certEN+" is valid"
	case CodePINChanged:
		g.TitleJA = PINNameJA(cert) + "を変更しました"
		g.TitleEN = "Your " + PINNameEN(cert) + " has been changed"
		g.WhatJA = []string{"次からは新しい暗証番号をお使いください。この用紙に暗証番号は書かれていません。"}
		g.WhatEN = []string{"From now on, please use the new PIN. This slip does not show any PIN."}
	case CodeWrongPIN:
		g.TitleJA = PINNameJA(cert) + "がちがいます"
		g.TitleEN = "Wrong " + PINNameEN(cert)
		g.WhatJA = []string{"暗証番号は変わっていません。", noRepeatTryJA}
		g.WhatEN = []string{"Nothing was changed.", noRepeatTryEN}
	case CodeRemoved:
		g.TitleJA, g.TitleEN = "カードが抜かれました", "The card was taken out"
		g.WhatJA = []string{"暗証番号は変わっていません。"}
		g.WhatEN = []string{"Nothing was changed."}
	case CodeAuthLocked, CodeSignLocked:
		k := PINAuth
		if code == CodeSignLocked {
			k = PINSign
		}
		office()
		g.TitleJA = PINNameJA(k) + "がロックされています"
		g.TitleEN = "Your " + PINNameEN(k) + " is locked"
		g.WhatJA = []string{
			fmt.Sprintf("続けて%d回まちがえたため、ロックがかかりました。", k.MaxTries()),
			"ロックの解除（暗証番号の初期化）は、役場の窓口でできます。このキオスクではできません。",
			"もう一方の暗証番号は別のものなので、そのまま使えます。",
		}
		g.WhatEN = []string{
			fmt.Sprintf("It was entered wrongly %d times in a row, so it is locked.", k.MaxTries()),
			"The office can reset it. This kiosk cannot.",
			"The other PIN is separate and still works.",
		}
		g.BringJA, g.BringEN = []string{bringCardJA}, []string{bringCardEN}
	case CodeAuthLastTry, CodeSignLastTry:
		k := PINAuth
		if code == CodeSignLastTry {
			k = PINSign
		}
		g.TitleJA = PINNameJA(k) + "は、あと1回まちがえるとロックされます"
		g.TitleEN = "One more wrong " + PINNameEN(k) + " will lock it"
		g.WhatJA = []string{"暗証番号に自信がないときは入力せず、役場の窓口で初期化してもらえます。"}
		g.WhatEN = []string{"If you are not sure of the PIN, do not enter it: the office can reset it."}
		g.BringJA, g.BringEN = []string{bringCardJA}, []string{bringCardEN}
	case CodeExpired:
		office()
		g.TitleJA, g.TitleEN = certJA+"の有効期限が切れています", "Your "+certEN+" has expired"
		g.WhatJA = []string{"役場の窓口で新しい電子証明書の発行を申し込めます。このキオスクではできません。"}
		g.WhatEN = []string{"You can apply for a new certificate at the office. This kiosk cannot issue one."}
		g.BringJA, g.BringEN = []string{bringValidJA, bringMemoJA}, []string{bringValidEN, bringMemoEN}
		g.RoutesJA, g.RoutesEN = []string{proxyJA}, []string{proxyEN}
	case CodeRenewal:
		office()
		g.TitleJA, g.TitleEN = certJA+"の更新ができます", "You can renew your "+certEN
		g.WhatJA = []string{
			"有効期限の3か月前から、役場の窓口で更新を受け付けています。このキオスクでは更新できません。",
			"期限が切れるまでは、今の証明書をそのまま使えます。",
		}
		g.WhatEN = []string{
			"The office accepts renewal from 3 months before the expiry date. This kiosk cannot renew.",
			"Until it expires, the certificate still works.",
		}
		g.BringJA, g.BringEN = []string{bringValidJA, bringMemoJA}, []string{bringValidEN, bringMemoEN}
		g.RoutesJA, g.RoutesEN = []string{proxyJA}, []string{proxyEN}
	case CodeNotYetValid:
		office()
		g.TitleJA, g.TitleEN = certJA+"の有効期間がまだ始まっていません", "Your "+certEN+" is not valid yet"
		g.WhatJA = []string{"キオスクの時計か証明書に問題があるかもしれません。役場の窓口にご相談ください。"}
		g.WhatEN = []string{"The kiosk clock or the certificate may be wrong. Please ask the office."}
		g.BringJA, g.BringEN = []string{bringCardJA}, []string{bringCardEN}
	case CodeDateUnknown:
		g.TitleJA, g.TitleEN = "有効期限の判定ができません", "The kiosk cannot judge the expiry date"
		g.WhatJA = []string{"キオスクの時計が正しくないおそれがあるため、期限切れかどうかを表示できません。表示された有効期限の日付をご確認ください。"}
		g.WhatEN = []string{"The kiosk clock may be wrong, so it cannot say whether the certificate has expired. Please check the expiry date shown."}
	case CodeNoSignCert:
		g.TitleJA, g.TitleEN = "このカードには署名用電子証明書が入っていません", "This card has no signing certificate"
		g.WhatJA = []string{
			"15歳未満の方のカード、発行を希望されなかった方のカード、暗証番号のない顔認証マイナンバーカードには、署名用電子証明書は入っていません。これはカードの故障ではありません。",
			"e-Taxなどの電子申請で必要になったときは、役場の窓口で発行を申し込めます（15歳以上の方）。",
		}
		g.WhatEN = []string{
			"Cards of residents under 15, of residents who chose not to have one, and face-authentication cards without PINs carry no signing certificate. Your card is not faulty.",
			"If you need one for online applications such as e-Tax, you can apply at the office (age 15 and over).",
		}
		g.BringJA, g.BringEN = []string{bringValidJA, bringMemoJA}, []string{bringValidEN, bringMemoEN}
	case CodeNoAuthCert:
		office()
		g.TitleJA, g.TitleEN = "このカードには利用者証明用電子証明書が入っていません", "This card has no user-authentication certificate"
		g.WhatJA = []string{"役場の窓口で発行を申し込めます。"}
		g.WhatEN = []string{"You can apply for one at the office."}
		g.BringJA, g.BringEN = []string{bringValidJA, bringMemoJA}, []string{bringValidEN, bringMemoEN}
		g.RoutesJA, g.RoutesEN = []string{proxyJA}, []string{proxyEN}
	case CodeJuki:
		g.TitleJA, g.TitleEN = "住民基本台帳カード（住基カード）です", "This is a Basic Resident Register card (住基カード)"
		g.WhatJA = []string{
			"住基カードへの電子証明書の発行は終了しています。このキオスクではマイナンバーカードだけが使えます。",
			"マイナンバーカードをお持ちなら、そちらを入れてください。カードの申請については役場の窓口でご案内します。",
		}
		g.WhatEN = []string{
			"Certificates are no longer issued on this older card. This kiosk works with the My Number Card only.",
			"If you have a My Number Card, please insert it. The office can tell you how to apply for one.",
		}
	case CodeNotJPKI:
		g.TitleJA, g.TitleEN = "このカードは使えません", "This card cannot be used here"
		g.WhatJA = []string{"マイナンバーカードを、ICチップを上にして奥まで入れてください。"}
		g.WhatEN = []string{"Please insert your My Number Card, chip side up, all the way in."}
	case CodeUnreadable, CodeCertBad:
		office()
		g.TitleJA, g.TitleEN = "カードを読み取れませんでした", "The card could not be read"
		g.WhatJA = []string{
			"いったんカードを抜いて、向きを確かめてもう一度入れてください。",
			"何度やっても読めないときは、役場の窓口にご相談ください。",
		}
		g.WhatEN = []string{
			"Please take the card out, check which way it goes, and insert it again.",
			"If it still cannot be read, please ask the office.",
		}
		g.BringJA, g.BringEN = []string{bringCardJA}, []string{bringCardEN}
		g.FeeJA, g.FeeEN = reissueFeeJA, reissueFeeEN
	case CodeChangeUnsure:
		office()
		g.TitleJA, g.TitleEN = "暗証番号が変わったかどうか確認できませんでした", "We could not confirm whether your PIN changed"
		g.WhatJA = []string{
			"変更の途中でカードの応答がなくなりました。新しい暗証番号と前の暗証番号の、どちらが有効かわかりません。",
			noRepeatTryJA,
			"役場の窓口で確認できます。この用紙をお持ちください。",
		}
		g.WhatEN = []string{
			"The card stopped answering during the change. Either the new or the old PIN is now valid.",
			noRepeatTryEN,
			"The office can check. Please bring this slip.",
		}
		g.BringJA, g.BringEN = []string{bringCardJA, bringSlipJA}, []string{bringCardEN, bringSlipEN}
	default:
		office()
		g.TitleJA, g.TitleEN = "役場の窓口にご相談ください", "Please ask the office"
		g.BringJA, g.BringEN = []string{bringCardJA}, []string{bringCardEN}
	}
	switch code {
	case CodeAuthLocked, CodeSignLocked, CodeAuthLastTry, CodeSignLastTry, CodeChangeUnsure:
		g.RoutesJA = append(g.RoutesJA, pcChangeJA)
		g.RoutesEN = append(g.RoutesEN, pcChangeEN)
	}
	// Say what the certificates are good for here, from configuration.
	switch code {
	case CodeNoSignCert, CodeSignLocked:
		if m.ETax {
			g.RoutesJA = append(g.RoutesJA, "この村では、署名用電子証明書は e-Tax で使えます。")
			g.RoutesEN = append(g.RoutesEN, "Here the signing certificate can be used for e-Tax.")
		}
	case CodeAuthLocked, CodeNoAuthCert:
		if !m.ConvenienceStore {
			g.RoutesJA = append(g.RoutesJA, "なお、この村では住民票などのコンビニ交付は利用できません。")
			g.RoutesEN = append(g.RoutesEN, "Note: convenience-store issuance of resident records is not available in this village.")
		}
	}
	return g
}

// SlipFor builds the printed slip for an outcome: the guidance for code,
// the certificate's dates when cert is given, and the reference number.
// cert may be nil. The slip never carries a PIN or personal data.
func SlipFor(code Code, k PINKind, m Municipality, ref string, at time.Time, cert *CertAssessment) Slip {
	g := Guide(code, k, m)
	s := Slip{
		Time:      at.In(jst),
		Office:    m.OfficeLine(),
		Counter:   m.Counter,
		Phone:     m.Phone,
		Hours:     m.Hours,
		TitleJA:   g.TitleJA,
		TitleEN:   g.TitleEN,
		LinesJA:   append([]string(nil), g.WhatJA...),
		LinesEN:   append([]string(nil), g.WhatEN...),
		BringJA:   append([]string(nil), g.BringJA...),
		Reference: ref,
	}
	if cert != nil && !cert.NotAfter.IsZero() {
		s.LinesJA = append(s.LinesJA, "有効期限: "+cert.NotAfter.Format("2006年1月2日"))
		s.LinesEN = append(s.LinesEN, "Valid until: "+cert.NotAfter.Format("2 Jan 2006"))
		if cert.Verdict == CodeValid || cert.Verdict == CodeRenewal {
			s.LinesJA = append(s.LinesJA, "更新の受付開始: "+cert.RenewalFrom.Format("2006年1月2日"))
			s.LinesEN = append(s.LinesEN, "Renewal from: "+cert.RenewalFrom.Format("2 Jan 2006"))
		}
	}
	if g.FeeJA != "" {
		s.LinesJA = append(s.LinesJA, g.FeeJA)
		s.LinesEN = append(s.LinesEN, g.FeeEN)
	}
	s.LinesJA = append(s.LinesJA, g.RoutesJA...)
	s.LinesEN = append(s.LinesEN, g.RoutesEN...)
	return s
}
