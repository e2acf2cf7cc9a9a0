"""The UI's feedback controls (👍/👎 and "the right section is …"), copy-link buttons and feedback summary.

The controls are plain HTML below each answer and each match; FEEDBACK_JS (attached to the result areas)
posts them to the API's POST /v1/feedback (service/api/feedback.py), so the UI and the API share one store,
one validation and one rate limit, and shows the API's answer (or its error message) beside the buttons.
Shareable links are the UI's own address with ?q=… (Ask) or ?match=… (Find my sub-priority).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import urlencode

from service.feedback import Tally
from service.models import SectionTreeResponse
from ui.render import esc, language_name
from ui.texts import t

ICON_PATHS = {  # 24×24 stroke outlines (Feather icons, MIT): drawn inline, so no emoji font is needed
    "up": "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 "
    "0 1 2-2h3",
    "down": "M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3zm7-13h2.67A2.31 2.31 0 0 1 22 "
    "4v7a2.31 2.31 0 0 1-2.33 2H17",
    "link": "M10 13a5 5 0 0 0 7.54.54l3-3a5 5 0 0 0-7.07-7.07l-1.72 1.71M14 11a5 5 0 0 0-7.54-.54l-3 3a5 5 0 0 0 "
    "7.07 7.07l1.71-1.71",
}


def icon(name: str) -> str:
    """An inline SVG icon, hidden from assistive technology (its button carries the accessible name)."""
    return (
        f'<svg class="rus-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
        f'<path d="{ICON_PATHS[name]}"/></svg>'
    )


FEEDBACK_JS = """
const say = (box, text, link) => {
  const status = box.querySelector('.rus-fb-status');
  status.textContent = text;
  if (link) {
    const a = document.createElement('a');
    a.href = link; a.textContent = link; status.append(' ', a);
  }
};
const send = async (box, verdict, section) => {
  const payload = {question: box.dataset.question, verdict, kind: box.dataset.kind,
                   answer_state: box.dataset.state || null, top_sections: JSON.parse(box.dataset.top || '[]')};
  if (section) payload.section_id = section;
  box.querySelectorAll('[data-fb]').forEach((b) => { b.disabled = true; });
  try {
    const response = await fetch(box.dataset.endpoint, {method: 'POST',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(payload)});
    if (response.ok) {
      box.querySelector(`[data-fb="${verdict}"]`)?.setAttribute('aria-pressed', 'true');
      box.dataset.sent = verdict;
      say(box, box.dataset.thanks);
      return;
    }
    let message = response.statusText;
    try { message = (await response.json()).error.message; } catch (e) { /* not JSON */ }
    say(box, `${box.dataset.failed} ${message}`);
  } catch (error) {
    say(box, `${box.dataset.failed} ${error}`);
  }
  box.querySelectorAll('[data-fb]').forEach((b) => { b.disabled = false; });
};
const copyLink = async (button) => {
  const box = button.closest('.rus-share');
  const link = new URL(button.dataset.link, window.location.href).href;
  try {
    await navigator.clipboard.writeText(link);
    say(box, box.dataset.copied, link);
  } catch (error) {
    say(box, box.dataset.manual, link);
  }
};
element.addEventListener('click', (event) => {
  const copy = event.target.closest('button[data-link]');
  if (copy) { copyLink(copy); return; }
  const button = event.target.closest('button[data-fb]');
  if (!button) return;
  const box = button.closest('.rus-feedback');
  const action = button.dataset.fb;
  if (action === 'up') { send(box, 'up'); return; }
  if (action === 'down') {
    const panel = box.querySelector('.rus-fb-correct');
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    panel.querySelector('select').focus();
    return;
  }
  if (action === 'send') send(box, 'down', box.querySelector('.rus-fb-correct select').value);
});
"""

QUESTION_TYPES = ("subpriority", "fact", "not_covered", "match", "unknown")


def subpriority_options(tree: SectionTreeResponse) -> list[tuple[str, str]]:
    """(section id, title) of every sub-priority, for the "the right section is …" picker."""
    return [
        (sub.section_id, sub.title)
        for document in tree.documents
        for priority in document.priorities
        for sub in priority.subpriorities
    ]


def feedback_html(
    *,
    endpoint: str,
    element_id: str,
    kind: str,
    question: str,
    answer_state: str,
    top_sections: Sequence[str],
    options: Sequence[tuple[str, str]],
    lang: str,
) -> str:
    """👍 / 👎 for one answer or match; 👎 opens the picker, whose Send posts the correction."""
    picker = "".join(f'<option value="{esc(sid)}">{esc(title)}</option>' for sid, title in options)
    question_key = "fb_question_match" if kind == "match" else "fb_question_ask"
    return (
        f'<div class="rus-feedback" role="group" aria-labelledby="{element_id}-q"'
        f' data-endpoint="{esc(endpoint)}" data-kind="{esc(kind)}" data-question="{esc(question)}"'
        f' data-state="{esc(answer_state)}" data-top="{esc(json.dumps(list(top_sections)))}"'
        f' data-thanks="{esc(t("fb_thanks", lang))}" data-failed="{esc(t("fb_failed", lang))}">'
        f'<span class="rus-fb-question" id="{element_id}-q">{esc(t(question_key, lang))}</span>'
        f'<button type="button" class="rus-fb-button" data-fb="up" aria-pressed="false"'
        f' aria-label="{esc(t("fb_up", lang))}" title="{esc(t("fb_up", lang))}">{icon("up")}</button>'
        f'<button type="button" class="rus-fb-button" data-fb="down" aria-expanded="false"'
        f' aria-controls="{element_id}-fix" aria-label="{esc(t("fb_down", lang))}"'
        f' title="{esc(t("fb_down", lang))}">{icon("down")}</button>'
        f'<span class="rus-fb-correct" id="{element_id}-fix" hidden>'
        f'<label for="{element_id}-pick">{esc(t("fb_pick", lang))}</label>'
        f'<select id="{element_id}-pick"><option value="">{esc(t("fb_pick_none", lang))}</option>{picker}</select>'
        f'<button type="button" class="rus-fb-send" data-fb="send">{esc(t("fb_send", lang))}</button></span>'
        f'<span class="rus-fb-status" role="status" aria-live="polite"></span></div>'
    )


def share_html(parameter: str, value: str, lang: str) -> str:
    """A copy-link button for the UI's address with ?q=… or ?match=… (opens with the result shown)."""
    label = t("copy_match_label" if parameter == "match" else "copy_link_label", lang)
    link = "?" + urlencode({parameter: value})
    return (
        f'<div class="rus-share" data-copied="{esc(t("link_copied", lang))}"'
        f' data-manual="{esc(t("link_manual", lang))}">'
        f'<button type="button" class="rus-copy-link" data-link="{esc(link)}" aria-label="{esc(label)}">'
        f'{icon("link")} {esc(t("copy_link", lang))}</button>'
        f'<span class="rus-fb-status" role="status" aria-live="polite"></span></div>'
    )


def summary_markdown(tallies: dict[tuple[str, str], Tally], lang: str) -> str:
    """The Evaluation tab's feedback table: verdicts and the share of 👎 by question type and language."""
    heading = f"### {t('fb_heading', lang)}\n\n"
    if not tallies:
        return heading + t("fb_none", lang) + "\n"
    total = Tally(sum(c.up for c in tallies.values()), sum(c.down for c in tallies.values()))
    lines = [
        t("fb_total", lang, n=total.total, down=total.down, share=f"{total.down_share:.0%}"),
        "",
        f"| {t('fb_type', lang)} | {t('fb_lang', lang)} | 👍 | 👎 | {t('fb_share_down', lang)} |",
        "|---|---|---:|---:|---:|",
    ]
    for (kind, code), counts in tallies.items():
        name = t(f"fb_type_{kind if kind in QUESTION_TYPES else 'unknown'}", lang)
        lines.append(
            f"| {name} | {language_name(code, lang)} | {counts.up} | {counts.down} | {counts.down_share:.0%} |"
        )
    return heading + "\n".join(lines) + "\n"
