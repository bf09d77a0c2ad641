package session

import (
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/ui"
)

// View maps the visit and the flow onto the screen's view model.
func (s *Session) View() ui.View {
	now := s.cfg.Now()
	vw := s.visit.View()
	var v ui.View
	if day, soon := kiosk.IsMaintenanceSoon(now); soon {
		v.Maintenance = day
	}
	if !s.readerOK || s.refused != nil {
		v.Page = ui.PageOutOfService
		return v
	}
	state := vw.State
	if state == kiosk.StateIdleWarning {
		state = vw.Paused
		v.IdleDeadline = now.Add(vw.WarningLeft)
	}
	switch state {
	case kiosk.StateWaiting:
		if s.notice != nil {
			n := *s.notice
			n.Maintenance = v.Maintenance
			return n
		}
		v.Page = ui.PageWaiting
	case kiosk.StateReading:
		v.Page = ui.PageReading
	case kiosk.StateStatus:
		v.Assessment = *vw.Assessment
		v.Page = ui.PageStatus
		if s.showGuide {
			v.Page, v.Guidance, v.Reference = ui.PageGuidance, vw.Assessment.Code, s.statusRef
			if s.printFail {
				v.Page = ui.PagePaperOut
			}
		}
	case kiosk.StateMenu:
		v.Page, v.Assessment = ui.PageMenu, *vw.Assessment
	case kiosk.StateFlow:
		v.Assessment = *vw.Assessment
		switch s.flow.page {
		case flowLastTry:
			v.Page = ui.PageLastTry
			v.PIN = s.prompt()
		case flowPIN:
			v.Page = ui.PagePIN
			v.PIN = s.prompt()
		default:
			v.Page = ui.PageWorking
		}
	case kiosk.StateFinished:
		if vw.Assessment != nil {
			v.Assessment = *vw.Assessment
		}
		if vw.Result != nil {
			rv := s.resultView(*vw.Result)
			rv.Assessment, rv.Maintenance, rv.IdleDeadline = v.Assessment, v.Maintenance, v.IdleDeadline
			return rv
		}
		v.Page = ui.PageResult
	case kiosk.StateRemoveCard:
		v.Page = ui.PageTakeCard
	}
	return v
}

func (s *Session) prompt() ui.PINPrompt {
	f := s.flow
	return ui.PINPrompt{
		Kind:         f.kind,
		Step:         f.step,
		ForSignCheck: f.action == kiosk.ActionCheckSign,
		TriesLeft:    f.tries.Left,
		Mismatch:     f.mismatch && f.step == ui.StepNew,
	}
}

// resultView says how a flow ended.
func (s *Session) resultView(r kiosk.Result) ui.View {
	v := ui.View{Page: ui.PageResult, Reference: r.Reference}
	res := ui.Result{PIN: r.PIN, TriesLeft: r.TriesLeft}
	switch r.Outcome {
	case kiosk.OutcomeOK:
		res.Kind = ui.ResultChanged
		if r.Kind == kiosk.TxSignCheck && r.Cert != nil {
			res.Kind, res.Sign = ui.ResultSignCert, *r.Cert
		}
	case kiosk.OutcomeWrongPIN:
		res.Kind = ui.ResultWrongPIN
	case kiosk.OutcomeLocked:
		res.Kind = ui.ResultLocked
	case kiosk.OutcomeUnknown:
		res.Kind = ui.ResultUnknown
	default:
		res.Kind = ui.ResultFailed
	}
	v.Result = res
	if r.PrinterDetail != "" {
		v.Page = ui.PagePaperOut
	}
	return v
}
