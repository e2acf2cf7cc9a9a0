"""Every Swedish/English text the UI shows; `t` looks a key up here first and then among the texts the service
writes (service/texts.py), so a rendered answer or report and the page around it read alike."""

from __future__ import annotations

from service.texts import DEFAULT_LANGUAGE as DEFAULT_LANGUAGE  # re-exported for the UI
from service.texts import TEXTS as SERVICE_TEXTS
from service.texts import in_language

LANGUAGES = (("Svenska", "sv"), ("English", "en"))

TEXTS: dict[str, dict[str, str]] = {
    # --- page ----------------------------------------------------------------------------------
    "title": {
        "sv": "RUS Search – Västerbottens regionala utvecklingsstrategi 2020–2030",
        "en": "RUS Search – Västerbotten's regional development strategy 2020–2030",
    },
    "subtitle": {
        "sv": "Sök i strategin, få svar med källhänvisningar, hitta rätt delprioritering för ett projekt och "
        "stäm av en ansökan mot strategin. Alla svar citerar strategins egen text.",
        "en": "Search the strategy, get answers with citations, find the right sub-priority for a project and "
        "check an application against the strategy. Every answer quotes the strategy's own text.",
    },
    "language": {"sv": "Språk", "en": "Language"},
    "footer": {
        "sv": "RUS Search · frågor, matchning och avstämning bygger på samma funktioner som API:t "
        "(<a href='/docs'>/docs</a>). Resultaten är underlag – bedömningen görs av handläggaren.",
        "en": "RUS Search · questions, matching and alignment use the same functions as the API "
        "(<a href='/docs'>/docs</a>). The results are support material – the officer makes the assessment.",
    },
    # --- tabs ----------------------------------------------------------------------------------
    "tab_ask": {"sv": "Fråga", "en": "Ask"},
    "tab_match": {"sv": "Hitta delprioritering", "en": "Find my sub-priority"},
    "tab_align": {"sv": "Kontrollera förenlighet", "en": "Alignment check"},
    "tab_browse": {"sv": "Bläddra", "en": "Browse"},
    "tab_eval": {"sv": "Utvärdering", "en": "Evaluation"},
    # --- ask -----------------------------------------------------------------------------------
    "ask_intro": {
        "sv": "Ställ en fråga om strategin på svenska eller engelska. Svaret består av citat ur strategin med "
        "numrerade källor; klicka på en källa för att läsa hela avsnittet.",
        "en": "Ask a question about the strategy in Swedish or English. The answer is quoted from the strategy "
        "with numbered sources; open a source to read its whole section.",
    },
    "question": {"sv": "Fråga", "en": "Question"},
    "question_placeholder": {
        "sv": "T.ex. Vilken delprioritering tar upp våld i nära relationer?",
        "en": "E.g. Which sub-priority covers reindeer crossings?",
    },
    "ask_button": {"sv": "Sök svar", "en": "Get answer"},
    "examples": {"sv": "Exempelfrågor (svenska och engelska)", "en": "Example questions (Swedish and English)"},
    "ask_empty": {
        "sv": "Skriv en fråga i rutan ovan, eller välj en av exempelfrågorna.",
        "en": "Type a question in the box above, or pick one of the example questions.",
    },
    "ask_placeholder_result": {
        "sv": "Svaret visas här, med källhänvisningar till strategin.",
        "en": "The answer appears here, with citations to the strategy.",
    },
    "answer_subpriority": {"sv": "Delprioritering", "en": "Sub-priority"},
    "answer_fact": {"sv": "Citat ur strategin", "en": "Quoted from the strategy"},
    "not_covered_title": {"sv": "Inte täckt av strategin", "en": "Not covered by the strategy"},
    "sources": {"sv": "Källor", "en": "Sources"},
    "see_also": {"sv": "Se även", "en": "See also"},
    "closest": {"sv": "Närmaste avsnitt (för egen bedömning)", "en": "Closest passages (for your own judgement)"},
    "document": {"sv": "Dokument", "en": "Document"},
    "section": {"sv": "Avsnitt", "en": "Section"},
    "heading_path": {"sv": "Rubriker", "en": "Headings"},
    "show_section": {"sv": "Visa hela avsnittet", "en": "Show the whole section"},
    "confidence": {"sv": "Säkerhet: {level}", "en": "Confidence: {level}"},
    "level_high": {"sv": "hög", "en": "high"},
    "level_medium": {"sv": "medel", "en": "medium"},
    "level_low": {"sv": "låg", "en": "low"},
    "closest_subpriorities": {"sv": "Närmaste delprioriteringar", "en": "Closest sub-priorities"},
    "unofficial_translation": {"sv": "Inofficiell översättning", "en": "Unofficial translation"},
    "swedish_original": {"sv": "Svenskt original", "en": "Swedish original"},
    "low_confidence_title": {"sv": "Osäkert svar", "en": "Low confidence"},
    # --- match ---------------------------------------------------------------------------------
    "match_intro": {
        "sv": "Beskriv ditt projekt med några meningar (svenska eller engelska). Du får de delprioriteringar "
        "som passar bäst, med de identifierade behov projektet svarar mot och stödet i strategins text.",
        "en": "Describe your project in a few sentences (Swedish or English). You get the sub-priorities that "
        "fit best, with the identified needs the project answers and the supporting text of the strategy.",
    },
    "description": {"sv": "Projektbeskrivning", "en": "Project description"},
    "description_placeholder": {
        "sv": "T.ex. Vi vill bygga laddstationer för elbilar i inlandets byar så att fler kan resa hållbart.",
        "en": "E.g. We want to build charging stations for electric cars in inland villages so that more "
        "people can travel sustainably.",
    },
    "n_matches": {"sv": "Antal delprioriteringar", "en": "Number of sub-priorities"},
    "match_button": {"sv": "Hitta delprioriteringar", "en": "Find sub-priorities"},
    "match_empty": {
        "sv": "Skriv eller klistra in en projektbeskrivning först.",
        "en": "Type or paste a project description first.",
    },
    "match_placeholder_result": {
        "sv": "De bäst matchande delprioriteringarna visas här.",
        "en": "The best-matching sub-priorities appear here.",
    },
    "match_summary": {
        "sv": "{n} delprioriteringar, rangordnade efter likhet med beskrivningen ({sentences}, språk: {language}).",
        "en": "{n} sub-priorities, ranked by similarity to the description ({sentences}, language: {language}).",
    },
    "sentences": {"sv": "{n} meningar", "en": "{n} sentences"},
    "sentence": {"sv": "{n} mening", "en": "{n} sentence"},
    "matching_needs": {"sv": "Behov som projektet svarar mot", "en": "Needs the project answers"},
    "evidence": {"sv": "Stöd i strategins text", "en": "Evidence in the strategy"},
    "show_subpriority": {"sv": "Visa hela delprioriteringen", "en": "Show the whole sub-priority"},
    # --- align ---------------------------------------------------------------------------------
    "align_intro": {
        "sv": "Klistra in en ansökan eller ladda upp den som PDF, Word (DOCX) eller textfil. Rapporten visar "
        "vilka behov och utmaningar i de bäst matchande delprioriteringarna texten tar upp, och hur den "
        "förhåller sig till strategins tre inriktningar. Ladda ned rapporten som Word-dokument till ärendet "
        "eller som Markdown.",
        "en": "Paste an application or upload it as PDF, Word (DOCX) or text file. The report shows which needs "
        "and challenges of the best-matching sub-priorities the text addresses, and how it relates to the "
        "strategy's three inriktningar (cross-cutting directions). Download the report as a Word document for "
        "the case file, or as Markdown.",
    },
    "application": {"sv": "Ansökningstext", "en": "Application text"},
    "application_placeholder": {
        "sv": "Klistra in ansökans text här – eller ladda upp en fil till höger.",
        "en": "Paste the application text here – or upload a file on the right.",
    },
    "upload": {"sv": "…eller ladda upp en fil (PDF, DOCX, TXT)", "en": "…or upload a file (PDF, DOCX, TXT)"},
    "align_button": {"sv": "Kontrollera förenlighet", "en": "Check alignment"},
    "download": {"sv": "Ladda ned rapporten (Markdown)", "en": "Download the report (Markdown)"},
    "download_docx": {"sv": "Ladda ned rapporten (Word)", "en": "Download the report (Word)"},
    "align_empty": {
        "sv": "Klistra in en ansökningstext eller ladda upp en fil först.",
        "en": "Paste an application text or upload a file first.",
    },
    "align_placeholder_result": {
        "sv": "Avstämningsrapporten visas här.",
        "en": "The alignment report appears here.",
    },
    "align_source_file": {
        "sv": "Läste {chars} tecken ur <b>{name}</b>{pages}.",
        "en": "Read {chars} characters from <b>{name}</b>{pages}.",
    },
    "align_source_text": {"sv": "Inklistrad text, {chars} tecken.", "en": "Pasted text, {chars} characters."},
    "align_file_wins": {
        "sv": "Både text och fil angavs – den uppladdade filen kontrollerades.",
        "en": "Both text and a file were given – the uploaded file was checked.",
    },
    "align_truncated": {
        "sv": "Texten är {chars} tecken lång; bara de första {limit} tecknen (fram till {cut}) kontrollerades. "
        "Klistra in de delar som beskriver projektets mål och aktiviteter för att kontrollera dem.",
        "en": "The text is {chars} characters long; only the first {limit} characters (up to {cut}) were "
        "checked. Paste the parts that describe the project's aims and activities to check those.",
    },
    "pages_suffix": {"sv": " ({n} sidor)", "en": " ({n} pages)"},
    "page_suffix": {"sv": " ({n} sida)", "en": " ({n} page)"},
    "align_summary": {
        "sv": "Texten har {sentences} (språk: {language}). De {n} bäst matchande delprioriteringarna:",
        "en": "The text has {sentences} (language: {language}). The {n} best-matching sub-priorities:",
    },
    "needs": {"sv": "Identifierade behov", "en": "Identified needs"},
    "challenges": {"sv": "Utmaningar", "en": "Challenges"},
    "not_addressed": {"sv": "Adresseras inte", "en": "Not addressed"},
    "support": {"sv": "Stöd i ansökan", "en": "Support in the application"},
    "possible": {"sv": "Möjlig koppling – inte stöd", "en": "Possible link – not support"},
    "judgement": {"sv": "Bedömning", "en": "Judgement"},
    "inriktningar": {"sv": "Inriktningar", "en": "Inriktningar (cross-cutting directions)"},
    "inriktning": {"sv": "Inriktning", "en": "Inriktning"},
    "where": {"sv": "Var i ansökan", "en": "Where in the application"},
    # --- browse --------------------------------------------------------------------------------
    "browse_intro": {
        "sv": "Strategins struktur: sex prioriteringar med delprioriteringar. Välj en delprioritering i trädet "
        "eller i listan för att se dess mål, utmaningar, behov, relaterade planer och sidor.",
        "en": "The strategy's structure: six priorities with sub-priorities. Choose a sub-priority in the tree or "
        "the list to see its goal, challenges, needs, related plans and pages.",
    },
    "choose_section": {"sv": "Välj avsnitt", "en": "Choose a section"},
    "tree": {"sv": "Strategins träd", "en": "The strategy tree"},
    "other_sections": {"sv": "Inledande och övergripande avsnitt", "en": "Introductory and cross-cutting sections"},
    "browse_placeholder": {
        "sv": "Välj en delprioritering till vänster.",
        "en": "Choose a sub-priority on the left.",
    },
    "goal": {"sv": "Mål och beskrivning", "en": "Goal and description"},
    "actors": {"sv": "Viktiga aktörer", "en": "Key actors"},
    "related_plans": {"sv": "Relaterade strategier och planer", "en": "Related strategies and plans"},
    "subpriorities": {"sv": "Delprioriteringar", "en": "Sub-priorities"},
    "pages": {"sv": "Sidor", "en": "Pages"},
    "priority_overview": {"sv": "Översikt och relaterade planer", "en": "Overview and related plans"},
    # --- evaluation ----------------------------------------------------------------------------
    "eval_intro": {
        "sv": "Den senaste utvärderingen av sökningen mot guldfrågorna (`rus eval`), med diagram.",
        "en": "The latest evaluation of retrieval against the gold questions (`rus eval`), with plots.",
    },
    "eval_refresh": {"sv": "Uppdatera", "en": "Refresh"},
    "eval_run": {"sv": "Kör utvärdering på dev-frågorna", "en": "Run an evaluation on the dev set"},
    "eval_retriever": {"sv": "Sökmetod", "en": "Retriever"},
    "eval_none": {
        "sv": "Ingen utvärderingsrapport finns ännu i {path}. Kör `make eval` eller knappen nedan.",
        "en": "There is no evaluation report in {path} yet. Run `make eval` or the button below.",
    },
    "eval_unavailable": {
        "sv": "Utvärderingspaketet (eval/) är inte installerat i den här miljön, så en utvärdering kan inte "
        "köras härifrån ({error}).",
        "en": "The evaluation package (eval/) is not available in this environment, so an evaluation cannot "
        "be run from here ({error}).",
    },
    "eval_no_gold": {
        "sv": "Guldfrågorna saknas: {path}. Ange en annan fil med RUS_EVAL_GOLD.",
        "en": "The gold questions are missing: {path}. Set another file with RUS_EVAL_GOLD.",
    },
    "eval_done": {
        "sv": "Klart: {n} frågor utvärderades på {seconds:.0f} s; rapporten sparades i {path}.",
        "en": "Done: {n} questions evaluated in {seconds:.0f} s; the report was saved in {path}.",
    },
    "eval_failed": {"sv": "Utvärderingen misslyckades: {error}", "en": "The evaluation failed: {error}"},
    "eval_busy": {
        "sv": "En utvärdering körs redan – vänta tills den är klar.",
        "en": "An evaluation is already running – wait until it finishes.",
    },
    "eval_choose": {"sv": "Rapport", "en": "Report"},
    # --- feedback and sharing (issue 14) ------------------------------------------------------
    "fb_question_ask": {"sv": "Var svaret rätt?", "en": "Was the answer right?"},
    "fb_question_match": {"sv": "Passar delprioriteringen?", "en": "Does this sub-priority fit?"},
    "fb_up": {"sv": "Ja, rätt (tumme upp)", "en": "Yes, right (thumbs up)"},
    "fb_down": {"sv": "Nej, fel (tumme ned)", "en": "No, wrong (thumbs down)"},
    "fb_pick": {"sv": "Rätt avsnitt är …", "en": "The right section is …"},
    "fb_pick_none": {"sv": "– vet inte –", "en": "– don't know –"},
    "fb_send": {"sv": "Skicka", "en": "Send"},
    "fb_thanks": {"sv": "Tack! Din återkoppling är sparad.", "en": "Thank you! Your feedback has been saved."},
    "fb_failed": {"sv": "Återkopplingen kunde inte sparas:", "en": "The feedback could not be saved:"},
    "copy_link": {"sv": "Kopiera länk", "en": "Copy link"},
    "copy_link_label": {"sv": "Kopiera en länk till det här svaret", "en": "Copy a link to this answer"},
    "copy_match_label": {"sv": "Kopiera en länk till den här matchningen", "en": "Copy a link to this match"},
    "link_copied": {"sv": "Länken är kopierad:", "en": "Link copied:"},
    "link_manual": {"sv": "Kopiera länken:", "en": "Copy the link:"},
    "fb_heading": {"sv": "Användarnas återkoppling", "en": "Users' feedback"},
    "fb_none": {
        "sv": "Ingen återkoppling ännu. Användarna ger 👍/👎 under varje svar och matchning.",
        "en": "No feedback yet. Users give 👍/👎 below every answer and match.",
    },
    "fb_total": {
        "sv": "{n} omdömen, varav {down} 👎 ({share}). Exportera rättelserna som guldfrågor med "
        "`rus feedback export --out FIL`.",
        "en": "{n} verdicts, {down} of them 👎 ({share}). Export the corrections as gold questions with "
        "`rus feedback export --out FILE`.",
    },
    "fb_type": {"sv": "Frågetyp", "en": "Question type"},
    "fb_lang": {"sv": "Språk", "en": "Language"},
    "fb_share_down": {"sv": "Andel 👎", "en": "Share 👎"},
    "fb_type_subpriority": {"sv": "Svar: delprioritering", "en": "Answer: sub-priority"},
    "fb_type_fact": {"sv": "Svar: citat", "en": "Answer: quote"},
    "fb_type_not_covered": {"sv": "Svar: inte täckt", "en": "Answer: not covered"},
    "fb_type_match": {"sv": "Matchning", "en": "Match"},
    "fb_type_unknown": {"sv": "Okänd", "en": "Unknown"},
    # --- shared errors -------------------------------------------------------------------------
    "error_too_long": {
        "sv": "Texten är {length} tecken lång; gränsen är {limit} tecken. Korta ned den och försök igen.",
        "en": "The text is {length} characters long; the limit is {limit} characters. Shorten it and try again.",
    },
    "error_index": {
        "sv": "Sökindexet är inte laddat, så tjänsten kan inte svara just nu. Bygg det med "
        "<code>rus index build</code> (eller <code>make index</code>); det laddas in automatiskt.",
        "en": "The search index is not loaded, so the service cannot answer right now. Build it with "
        "<code>rus index build</code> (or <code>make index</code>); it is picked up automatically.",
    },
    "error_unexpected": {
        "sv": "Något gick fel i tjänsten. Felet har loggats – försök igen eller kontakta förvaltaren.",
        "en": "Something went wrong in the service. The error has been logged – try again or contact the maintainer.",
    },
    "error_invalid": {"sv": "Ogiltig indata: {message}", "en": "Invalid input: {message}"},
    "error_not_found": {"sv": "Avsnittet hittades inte.", "en": "The section was not found."},
    # --- uploads -------------------------------------------------------------------------------
    # uploads: one text per ingest Refusal code (ingest/errors.py), plus the size limit's own numbers
    "upload_too_large": {
        "sv": "Filen <b>{name}</b> är {size} stor; gränsen är {limit}. Ladda upp en mindre fil eller klistra in "
        "texten.",
        "en": "The file <b>{name}</b> is {size}; the limit is {limit}. Upload a smaller file or paste the text.",
    },
    "upload_unsupported_type": {
        "sv": "Filtypen {suffix} stöds inte. Ladda upp en PDF, en Word-fil (.docx), en webbsida (.html), Markdown "
        "(.md) eller en textfil (.txt).",
        "en": "The file type {suffix} is not supported. Upload a PDF, a Word file (.docx), a web page (.html), "
        "Markdown (.md) or a text file (.txt).",
    },
    "upload_not_found": {"sv": "Filen <b>{name}</b> kom inte fram. Ladda upp den igen.",
                         "en": "The file <b>{name}</b> did not arrive. Upload it again."},
    "upload_empty": {"sv": "Filen <b>{name}</b> är tom.", "en": "The file <b>{name}</b> is empty."},
    "upload_encrypted": {
        "sv": "PDF-filen <b>{name}</b> är lösenordsskyddad (krypterad) och kan inte läsas. Spara en kopia utan "
        "lösenord och ladda upp den, eller klistra in texten.",
        "en": "The PDF <b>{name}</b> is password-protected (encrypted) and cannot be read. Save a copy without "
        "a password and upload that, or paste the text.",
    },
    "upload_no_text_layer": {
        "sv": "PDF-filen <b>{name}</b> innehåller ingen text – bara bilder (t.ex. en inskannad ansökan). Kör "
        "textigenkänning (OCR) på den, eller klistra in texten.",
        "en": "The PDF <b>{name}</b> contains no text – only images (e.g. a scanned application). Run text "
        "recognition (OCR) on it, or paste the text.",
    },
    "upload_damaged": {
        "sv": "Filen <b>{name}</b> är skadad eller kan inte läsas ({detail}).",
        "en": "The file <b>{name}</b> is damaged or cannot be read ({detail}).",
    },
    "upload_unpacks_too_large": {
        "sv": "Filen <b>{name}</b> packas upp till mycket mer data än den får (en så kallad zip-bomb, eller en "
        "fil som är för tung att läsa här). Spara om den, eller klistra in texten.",
        "en": "The file <b>{name}</b> unpacks to far more data than allowed (a so-called zip bomb, or a file too "
        "heavy to read here). Save it again, or paste the text.",
    },
    "upload_too_many_pages": {
        "sv": "Filen <b>{name}</b> har för många sidor för att läsas här ({detail}). Klistra in de viktigaste "
        "delarna av texten i stället.",
        "en": "The file <b>{name}</b> has too many pages to read here ({detail}). Paste the most important parts "
        "of the text instead.",
    },
    "upload_too_much_text": {
        "sv": "Filen <b>{name}</b> innehåller för mycket text för att läsas här ({detail}). Klistra in de "
        "viktigaste delarna av texten i stället.",
        "en": "The file <b>{name}</b> holds too much text to read here ({detail}). Paste the most important parts "
        "of the text instead.",
    },
    "upload_too_slow": {
        "sv": "Det tog för lång tid att läsa filen <b>{name}</b>, så läsningen avbröts. Klistra in texten i stället.",
        "en": "Reading the file <b>{name}</b> took too long and was stopped. Paste the text instead.",
    },
    "upload_wrong_format": {
        "sv": "Filen <b>{name}</b> är inte det som filändelsen säger (till exempel en äldre .doc-fil, ett "
        "lösenordsskyddat dokument eller en bild med fel ändelse). Spara den som .docx eller PDF utan lösenord.",
        "en": "The file <b>{name}</b> is not what its extension says (for example an old .doc file, a "
        "password-protected document or a picture with the wrong extension). Save it as .docx or PDF without a "
        "password.",
    },
    "upload_not_text": {
        "sv": "Filen <b>{name}</b> innehåller binärdata, inte text.",
        "en": "The file <b>{name}</b> contains binary data, not text.",
    },
    "upload_no_text": {
        "sv": "Filen <b>{name}</b> innehåller ingen läsbar text.",
        "en": "The file <b>{name}</b> contains no readable text.",
    },
    "error_busy": {
        "sv": "Tjänsten kör redan så många kontroller som den får just nu. Försök igen om {seconds} sekunder.",
        "en": "The service is already running as many checks as it may right now. Try again in {seconds} seconds.",
    },
    "error_over_budget": {
        "sv": "Kontrollen tog längre tid än de {seconds} sekunder den får och avbröts. Försök med en kortare text "
        "eller försök igen senare.",
        "en": "The check took longer than its {seconds} seconds and was stopped. Try a shorter text or try again "
        "later.",
    },
    # --- an inriktning's judgement in the report ------------------------------------------------------
    "status_shown": {"sv": "Framgår av ansökan", "en": "Shown in the application"},
    "status_not_shown": {"sv": "Framgår inte av ansökan", "en": "Not shown in the application"},
    # --- the document library (the UI's library tab, citations that open their source) ---
    "tab_library": {"sv": "Bibliotek", "en": "Library"},
    "library_intro": {
        "sv": "Dokumenten som söks tillsammans med strategin: planer, program och agendor. Frågor om "
        "(del)prioriteringar besvaras ur strategin; träffar i andra dokument visas som relaterade. "
        "Att lägga till och ta bort dokument kräver API-nyckeln (RUS_API_KEY).",
        "en": "The documents searched together with the strategy: plans, programmes and agendas. Questions "
        "about (sub-)priorities are answered from the strategy; passages of other documents are shown as "
        "related. Adding and removing documents needs the API key (RUS_API_KEY).",
    },
    "library_title": {"sv": "Titel", "en": "Title"},
    "library_kind": {"sv": "Typ", "en": "Kind"},
    "library_year": {"sv": "År", "en": "Year"},
    "library_pages": {"sv": "Sidor", "en": "Pages"},
    "library_chunks": {"sv": "Textavsnitt", "en": "Passages"},
    "library_file": {"sv": "Original", "en": "Original"},
    "library_open": {"sv": "Öppna", "en": "Open"},
    "library_caption": {"sv": "Dokument i indexet", "en": "Documents in the index"},
    "library_add_heading": {"sv": "Lägg till ett dokument", "en": "Add a document"},
    "library_file_input": {
        "sv": "Fil (PDF, DOCX, HTML, Markdown, text)",
        "en": "File (PDF, DOCX, HTML, Markdown, text)",
    },
    "library_title_input": {"sv": "Titel (valfri)", "en": "Title (optional)"},
    "library_kind_input": {"sv": "Typ (valfri)", "en": "Kind (optional)"},
    "library_year_input": {"sv": "År (valfritt)", "en": "Year (optional)"},
    "library_key_input": {"sv": "API-nyckel", "en": "API key"},
    "library_add_button": {"sv": "Lägg till", "en": "Add"},
    "library_remove_heading": {"sv": "Ta bort ett dokument", "en": "Remove a document"},
    "library_remove_choice": {"sv": "Dokument", "en": "Document"},
    "library_remove_button": {"sv": "Ta bort", "en": "Remove"},
    "library_no_file": {"sv": "Välj en fil att lägga till.", "en": "Choose a file to add."},
    "library_no_choice": {"sv": "Välj ett dokument att ta bort.", "en": "Choose a document to remove."},
    "library_added": {
        "sv": "{title} är tillagt ({chunks} textavsnitt) och söks nu tillsammans med strategin.",
        "en": "{title} was added ({chunks} passages) and is now searched together with the strategy.",
    },
    "library_removed": {"sv": "{doc} är borttaget ur indexet.", "en": "{doc} was removed from the index."},
    "open_source": {"sv": "Öppna källan", "en": "Open the source"},
    "related_documents": {"sv": "I andra dokument", "en": "In other documents"},
    "in_library": {"sv": "i biblioteket", "en": "in the library"},
}


def t(key: str, lang: str, **params: object) -> str:
    """The text for `key` in `lang` (Swedish when the language is unknown), formatted with `params`."""
    return in_language(TEXTS.get(key) or SERVICE_TEXTS[key], lang, **params)
