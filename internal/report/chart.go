package report

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// Chart geometry (SVG user units).
const (
	chartW, chartH   = 760, 240
	padL, padR       = 56, 16
	padT, padB       = 28, 44
	maxBars          = 240 // more hours than this are grouped into wider bars
	chartIDAttribute = "usage-chart"
)

// usageChart draws requests per hour over the usage window as an inline
// SVG bar chart: grey for the baseline, amber for the exposure, red after
// the revocation, with the exposure's start and the revocation marked. It
// needs nothing outside the page.
func usageChart(u *Usage) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="%s" class="chart" role="img" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMidYMid meet">`, chartIDAttribute, chartW, chartH)
	b.WriteString(`<title>Requests per hour made with the key, before, during and after its exposure</title>`)
	if u == nil || !u.Available {
		msg := "No usage data"
		if u != nil && u.Error != "" {
			msg = "No usage data: the usage step did not succeed"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" class="muted">%s</text></svg>`, chartW/2, chartH/2, html.EscapeString(msg))
		return b.String()
	}
	ws, err1 := time.Parse(time.RFC3339, u.WindowStart)
	we, err2 := time.Parse(time.RFC3339, u.WindowEnd)
	if err1 != nil || err2 != nil || !we.After(ws) {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">No usage window</text></svg>`, chartW/2, chartH/2)
		return b.String()
	}
	hours := int(we.Sub(ws) / time.Hour)
	width := 1 // hours per bar
	for hours/width > maxBars {
		width++
	}
	n := (hours + width - 1) / width
	reqs := make([]int64, n)
	phases := make([]string, n)
	for _, h := range u.Hours {
		t, err := time.Parse(time.RFC3339, h.Start)
		if err != nil || t.Before(ws) || !t.Before(we) {
			continue
		}
		i := int(t.Sub(ws)/time.Hour) / width
		reqs[i] += h.Requests
		if rank(h.Phase) > rank(phases[i]) {
			phases[i] = h.Phase
		}
	}
	exp, _ := time.Parse(time.RFC3339, u.Exposed)
	for i := range phases {
		if phases[i] == "" {
			t := ws.Add(time.Duration(i*width) * time.Hour)
			switch {
			case u.RevokedAt != nil && !t.Before(u.RevokedAt.Truncate(time.Hour).Add(time.Hour)):
				phases[i] = "after-revocation"
			case !exp.IsZero() && !t.Before(exp.Truncate(time.Hour)):
				phases[i] = "exposure"
			default:
				phases[i] = "baseline"
			}
		}
	}
	var peak int64
	for _, r := range reqs {
		peak = max(peak, r)
	}
	top := niceCeil(peak)
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	barW := plotW / float64(n)
	x := func(t time.Time) float64 {
		return float64(padL) + plotW*float64(t.Sub(ws))/float64(we.Sub(ws))
	}
	// Axes and grid.
	for _, v := range []int64{0, top / 2, top} {
		y := float64(padT) + plotH - plotH*float64(v)/float64(top)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, padL, y, chartW-padR, y)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-6, y+4, num(v))
	}
	unit := "requests per hour"
	if width > 1 {
		unit = fmt.Sprintf("requests per %d hours", width)
	}
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d">%s</text>`, padL, padT-12, unit)
	// Bars.
	b.WriteString(`<g class="bars">`)
	for i, r := range reqs {
		if r == 0 {
			continue
		}
		h := plotH * float64(r) / float64(top)
		start := ws.Add(time.Duration(i*width) * time.Hour)
		fmt.Fprintf(&b, `<rect class="bar %s" x="%.2f" y="%.2f" width="%.2f" height="%.2f"><title>%s: %s requests (%s)</title></rect>`,
			phases[i], float64(padL)+float64(i)*barW, float64(padT)+plotH-h, max(barW-0.5, 0.5), h,
			start.Format(time.RFC3339), num(r), phaseLabel(phases[i]))
	}
	b.WriteString(`</g>`)
	// Markers.
	if !exp.IsZero() && !exp.Before(ws) && exp.Before(we) {
		ex := x(exp)
		fmt.Fprintf(&b, `<line class="mark exposed" x1="%.2f" y1="%d" x2="%.2f" y2="%.1f"/>`, ex, padT-4, ex, float64(padT)+plotH)
		fmt.Fprintf(&b, `<text class="mark-label" x="%.2f" y="%d" text-anchor="end">exposed</text>`, ex-3, padT+8)
	}
	if u.RevokedAt != nil && !u.RevokedAt.Before(ws) && u.RevokedAt.Before(we) {
		rx := x(*u.RevokedAt)
		fmt.Fprintf(&b, `<line class="mark revoked" x1="%.2f" y1="%d" x2="%.2f" y2="%.1f"/>`, rx, padT-4, rx, float64(padT)+plotH)
		fmt.Fprintf(&b, `<text class="mark-label revoked" x="%.2f" y="%d" text-anchor="end">revoked</text>`, rx-3, padT+22)
	}
	// Time axis: the window's ends.
	base := float64(padT) + plotH
	fmt.Fprintf(&b, `<line class="axis-line" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, padL, base, chartW-padR, base)
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f">%s</text>`, padL, base+16, ws.Format(time.RFC3339))
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartW-padR, base+16, we.Format(time.RFC3339))
	// Legend.
	ly := chartH - 10
	for i, p := range []string{"baseline", "exposure", "after-revocation"} {
		lx := padL + i*150
		fmt.Fprintf(&b, `<rect class="bar %s" x="%d" y="%d" width="10" height="10"/><text class="axis" x="%d" y="%d">%s</text>`, p, lx, ly-9, lx+14, ly, phaseLabel(p))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func rank(phase string) int {
	switch phase {
	case "baseline":
		return 1
	case "exposure":
		return 2
	case "after-revocation":
		return 3
	}
	return 0
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (at least 1).
func niceCeil(v int64) int64 {
	if v <= 1 {
		return 1
	}
	p := int64(1)
	for p*10 < v {
		p *= 10
	}
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
