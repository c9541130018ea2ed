// couponq dashboard: polls api/stats and renders it. No dependencies.
'use strict';
(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const rateFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
  const $ = (id) => document.getElementById(id);
  const int = (v) => (v === null || v === undefined ? '–' : intFmt.format(v));
  const rate = (v) => (v === null || v === undefined ? '–' : rateFmt.format(v));

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  let pollMs = 2000;

  async function poll() {
    try {
      const res = await fetch('api/stats', { cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      render(await res.json());
    } catch (err) {
      banner('Cannot reach the worker: ' + err.message);
      setReady(null);
    }
    setTimeout(poll, pollMs);
  }

  function banner(text) {
    const b = $('banner');
    b.hidden = !text;
    b.textContent = text || '';
  }

  function setReady(r) {
    const p = $('ready');
    if (!r) {
      p.className = 'pill pill-wait';
      p.textContent = 'unreachable';
      p.title = '';
      return;
    }
    p.className = 'pill ' + (r.ready ? 'pill-ok' : 'pill-bad');
    p.textContent = r.ready ? 'ready' : 'not ready';
    p.title = (r.reasons || []).join('\n');
  }

  function render(s) {
    pollMs = Math.max(500, (s.interval_seconds || 2) * 1000);
    $('interval').textContent = s.interval_seconds || 2;
    setReady(s.readiness);
    const notReady = s.readiness && !s.readiness.ready ? 'Not ready: ' + (s.readiness.reasons || []).join('; ') : '';
    const fleetErr = s.fleet_error ? 'Fleet figures unavailable: ' + s.fleet_error : '';
    banner([notReady, fleetErr].filter(Boolean).join(' · '));
    $('live-workers').textContent = s.fleet ? int(s.fleet.live_workers) : '–';
    $('version').textContent = s.version ? 'version ' + s.version : '';
    $('updated').textContent = 'updated ' + new Date(s.at).toLocaleTimeString('en-GB');

    const sum = (k) => s.types.reduce((a, t) => a + (t[k] || 0), 0);
    $('total-backlog').textContent = s.fleet ? int(sum('backlog')) : '–';
    $('total-in-flight').textContent = int(sum('in_flight'));
    $('total-succeeded').textContent = int(sum('succeeded'));
    $('total-failed').textContent = int(sum('failed'));
    $('total-throttled').textContent = int(sum('throttled'));
    $('total-dlq').textContent = s.fleet ? int(sum('dlq_depth')) : '–';

    $('types').replaceChildren(...s.types.map((t) => typeCard(t, s.history, !!s.fleet)));
    renderMerchants(s.fleet);
  }

  function figure(stat, label, value) {
    const f = el('div', 'figure');
    f.append(el('div', 'k', label));
    const v = el('div', 'v', value);
    v.dataset.stat = stat;
    f.append(v);
    return f;
  }

  function typeCard(t, history, haveFleet) {
    const card = el('article', 'card type');
    card.dataset.type = t.type;
    const head = el('div', 'type-head');
    head.append(el('h3', '', t.type));
    const legend = el('div', 'legend');
    for (const [cls, label] of [['key-sent', 'sent /s (this worker)'], ['key-budget', 'budget /s'], ['key-limit', 'limit /s']]) {
      const item = el('span');
      item.append(el('span', 'key ' + cls), label);
      legend.append(item);
    }
    head.append(legend);
    card.append(head);
    card.append(chart(history.t, history.types[t.type]));

    const figs = el('div', 'figures');
    const fleet = (v) => (haveFleet ? int(v) : '–');
    figs.append(
      figure('backlog', 'Backlog', fleet(t.backlog)),
      figure('in-flight', 'In flight', int(t.in_flight)),
      figure('send-rate', 'Sent /s', rate(t.send_rate)),
      figure('limit', 'Limit /s', haveFleet && t.limit ? rate(t.limit) : '–'),
      figure('succeeded', 'Succeeded', int(t.succeeded)),
      figure('failed', 'Failed', int(t.failed)),
      figure('throttled', '429s', int(t.throttled)),
      figure('dlq', 'Dead letters', fleet(t.dlq_depth)),
    );
    card.append(figs);

    const codes = el('div', 'codes');
    codes.dataset.stat = 'codes';
    codes.append(el('span', 'k', 'Failures by code'));
    const entries = Object.entries(t.failed_by_code || {}).sort((a, b) => b[1] - a[1]);
    if (entries.length === 0) codes.append(el('span', 'none', 'none'));
    for (const [code, n] of entries) {
      const chip = el('span', 'chip', code);
      chip.dataset.code = code;
      chip.append(el('b', '', int(n)));
      codes.append(chip);
    }
    card.append(codes);
    return card;
  }

  // niceStep returns a round step giving about n ticks up to max.
  function niceStep(max, n) {
    const raw = max / n;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
    return 10 * mag;
  }

  function chart(ts, series) {
    const W = 560, H = 190, L = 44, R = 10, T = 10, B = 24;
    const root = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'send rate against limit' });
    const pw = W - L - R, ph = H - T - B;
    if (!series || ts.length === 0) {
      root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'nodata' }, 'no samples yet'));
      return root;
    }
    const end = ts[ts.length - 1];
    const span = Math.min(600e3, Math.max(60e3, end - ts[0]));
    const start = end - span;
    let max = 0;
    for (const k of ['sent', 'budget', 'limit']) for (const v of series[k]) if (v !== null && v > max) max = v;
    if (max <= 0) max = 1;
    const step = niceStep(max * 1.1, 4);
    const top = Math.ceil((max * 1.1) / step) * step;
    const x = (t) => L + ((t - start) / span) * pw;
    const y = (v) => T + ph - (v / top) * ph;

    for (let v = 0; v <= top + step / 2; v += step) {
      root.append(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid-line' }));
      root.append(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, rateFmt.format(v)));
    }
    const mins = span / 60e3;
    for (const f of [0, 0.5, 1]) {
      const label = f === 1 ? 'now' : '−' + rateFmt.format(mins * (1 - f)) + ' min';
      root.append(svg('text', { x: L + f * pw, y: H - 6, 'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle', class: 'axis' }, label));
    }

    const path = (vals) => {
      let d = '', pen = false;
      vals.forEach((v, i) => {
        if (v === null || ts[i] < start) { pen = false; return; }
        d += (pen ? 'L' : 'M') + x(ts[i]).toFixed(1) + ' ' + y(v).toFixed(1);
        pen = true;
      });
      return d;
    };
    const sent = path(series.sent);
    if (sent) {
      // The area under each drawn run of the send rate.
      const area = sent.split('M').filter(Boolean).map((run) => {
        const pts = run.split('L');
        const first = pts[0].split(' ')[0], last = pts[pts.length - 1].split(' ')[0];
        return 'M' + first + ' ' + y(0) + 'L' + run + 'L' + last + ' ' + y(0) + 'Z';
      }).join('');
      root.append(svg('path', { d: area, class: 'area' }));
    }
    root.append(svg('path', { d: path(series.limit), class: 'limit' }));
    root.append(svg('path', { d: path(series.budget), class: 'budget' }));
    root.append(svg('path', { d: sent, class: 'sent' }));
    return root;
  }

  function renderMerchants(fleet) {
    const body = $('merchants');
    if (!fleet) {
      body.replaceChildren(emptyRow('fleet figures unavailable'));
      return;
    }
    const rows = new Map();
    const row = (mchid, type) => {
      const k = mchid + '\u0000' + type;
      if (!rows.has(k)) rows.set(k, { mchid, type, limit: null, budget: null, rate: null, cuts: null, backlog: [0, 0, 0, 0, 0], inFlight: 0 });
      return rows.get(k);
    };
    for (const l of fleet.limits || []) Object.assign(row(l.mchid, l.type), { limit: l.limit, budget: l.budget, rate: l.rate, cuts: l.cuts });
    for (const f of fleet.flows || []) {
      const r = row(f.mchid, f.type);
      if (f.priority >= 1 && f.priority <= 5) r.backlog[f.priority - 1] += f.backlog;
      r.inFlight += f.in_flight;
    }
    const sorted = [...rows.values()].sort((a, b) => (a.mchid + a.type).localeCompare(b.mchid + b.type));
    if (sorted.length === 0) {
      body.replaceChildren(emptyRow('no merchant activity yet'));
      return;
    }
    body.replaceChildren(...sorted.map((r) => {
      const tr = el('tr');
      tr.dataset.mchid = r.mchid;
      tr.dataset.type = r.type;
      tr.append(el('td', 'mono', r.mchid), el('td', 'mono', r.type));
      for (const v of [rate(r.limit), rate(r.budget), rate(r.rate), int(r.cuts), ...r.backlog.map(int), int(r.inFlight)]) {
        tr.append(el('td', 'num', v));
      }
      return tr;
    }));
  }

  function emptyRow(text) {
    const tr = el('tr');
    const td = el('td', 'empty', text);
    td.colSpan = 12;
    tr.append(td);
    return tr;
  }

  poll();
})();
