"""The multi-document test corpus: plans shaped unlike the strategy, one per file format.

tests/corpus_plans/ holds the plain-text kulturplan and the HTML innovationsstrategi; the PDF
länstransportplan (numbered bold headings, no bookmarks, no metadata title, a running header and page
numbers) and the DOCX livsmedelsstrategi (Word heading styles, a table, lists) are generated here at
test time with reportlab and python-docx. All four are fictional test documents, marked so in their text.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import docx
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

CORPUS_DIR = Path(__file__).resolve().parent / "corpus_plans"
GOLD = CORPUS_DIR / "gold.jsonl"
PLAN_FILES = ("kulturplan.txt", "innovationsstrategi.html", "lanstransportplan.pdf", "livsmedelsstrategi.docx")

TRANSPORT_TITLE = "Länstransportplan för Testlänet 2022–2033"
TRANSPORT_HEADER = "Länstransportplan 2022–2033 · Region Testlänet"
# (font size, bold, text); size 10 is body text
TRANSPORT_BLOCKS: list[tuple[float, bool, str]] = [
    (20, True, TRANSPORT_TITLE),
    (10, False, "Testdokument – fiktiv länstransportplan skriven för automatiska tester av RUS Search. "
                "Vägar, belopp och orter är påhittade."),
    (14, True, "1. Inledning"),
    (10, False, "Länstransportplanen fördelar den statliga ramen för regional transportinfrastruktur i Testlänet. "
                "Planens ekonomiska ram för perioden 2022–2033 är 1 450 miljoner kronor."),
    (12, True, "1.1 Planens syfte"),
    (10, False, "Syftet är att ge invånare och näringsliv säkra, hållbara och tillgängliga transporter. Planen "
                "omfattar regionala vägar, gång- och cykelvägar, kollektivtrafikens infrastruktur och "
                "medfinansiering av statliga järnvägsåtgärder."),
    (12, True, "1.2 Koppling till den regionala utvecklingsstrategin"),
    (10, False, "Planen genomför strategins mål om en nära och tillgänglig plats. Goda kommunikationer mellan "
                "inlandet och kusten är en förutsättning för arbetspendling och kompetensförsörjning."),
    (14, True, "2. Nuläge och utmaningar"),
    (10, False, "Länet har långa avstånd, en åldrande vägstandard och få alternativ till bilen utanför de "
                "större tätorterna."),
    (12, True, "2.1 Godstransporter"),
    (10, False, "Skogsindustrin och gruvnäringen står för merparten av godstransporterna. Tunga fordon på "
                "74 ton sliter hårt på vägnätet, och bärighetsbrister under tjällossningen stoppar timmerbilar "
                "varje vår på omkring 300 kilometer väg."),
    (12, True, "2.2 Kollektivtrafik i glesbygd"),
    (10, False, "I glesbygden går ofta bara ett fåtal bussturer per dag. Anropsstyrd trafik och samordning med "
                "skolskjutsar ska göra det möjligt att resa kollektivt även från små byar."),
    (14, True, "3. Prioriterade åtgärder"),
    (10, False, "Regionen prioriterar åtgärder som ökar trafiksäkerheten och gör det lättare att pendla."),
    (12, True, "3.1 Trafiksäkerhet på E12"),
    (10, False, "E12 mellan Umeå och Vännäsby har många olyckor med vilt och tunga fordon. Sträckan byggs om "
                "till mötesseparerad väg med mitträcke under 2025–2028. Regionen medfinansierar ombyggnaden "
                "med 420 miljoner kronor."),
    (11, True, "3.1.1 Viltstängsel och passager för ren"),
    (10, False, "Längs E12 sätts 38 kilometer viltstängsel upp. Stängslet byggs så att rennäringens flyttleder "
                "hålls öppna: sex säkra passager för renar anläggs, två av dem som ekodukter över vägen. "
                "Placeringen bestäms i samråd med Testbyns sameby och Länsstyrelsen."),
    (11, True, "3.1.2 Hastighetskameror och viltvarning"),
    (10, False, "Tolv nya trafiksäkerhetskameror och ett system för viltvarning med blinkande skyltar ska "
                "minska olyckorna under mörka vintermånader."),
    (12, True, "3.2 Gång- och cykelvägar"),
    (10, False, "Regionen bygger 25 kilometer nya gång- och cykelvägar, främst mellan skolor och bostadsområden "
                "i tätorterna. Kommunerna bidrar med hälften av kostnaden."),
    (12, True, "3.3 Pendlarparkeringar och hållplatser"),
    (10, False, "Vid 30 hållplatser längs stråken byggs väderskydd, belysning och pendlarparkeringar med "
                "laddstolpar för elbilar."),
    (14, True, "4. Ekonomisk ram och uppföljning"),
    (10, False, "Fördelning av planens ram per åtgärdsområde (miljoner kronor):"),
    (10, False, "Trafiksäkerhet på E12: 420"),
    (10, False, "Övriga regionala vägar: 610"),
    (10, False, "Gång- och cykelvägar: 190"),
    (10, False, "Kollektivtrafik och hållplatser: 230"),
    (10, False, "Trafikverket rapporterar genomförandet till regionen två gånger per år."),
    (10, False, "https://www.testlanet.se/lanstransportplan"),
]

FOOD_TITLE = "Livsmedelsstrategi för Testlänet 2021–2030"


def copy_plan_corpus(folder: Path) -> Path:
    """The four plan documents in `folder` (the committed ones copied, the PDF and DOCX generated)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("kulturplan.txt", "innovationsstrategi.html"):
        shutil.copy(CORPUS_DIR / name, folder / name)
    lanstransportplan_pdf(folder / "lanstransportplan.pdf")
    livsmedelsstrategi_docx(folder / "livsmedelsstrategi.docx")
    return folder


def lanstransportplan_pdf(path: Path) -> Path:
    """A four-page PDF: numbered bold headings in three sizes, no bookmarks and no /Title in its metadata."""
    width, height = A4
    canvas = Canvas(str(path), pagesize=A4)
    page = 1
    y = height - 90

    def furniture() -> None:
        canvas.setFont("Helvetica", 8.5)
        canvas.drawString(70, height - 40, TRANSPORT_HEADER)
        canvas.drawString(width / 2, 30, f"Sida {page}")

    furniture()
    for size, bold, text in TRANSPORT_BLOCKS:
        wrapped = textwrap.wrap(text, 95 if size <= 10 else 60)
        before = 26 if size > 10 else 8
        if y - before - len(wrapped) * size * 1.3 < 120 or (size >= 14 and text[:1] in "34"):
            canvas.showPage()
            page += 1
            furniture()
            y = height - 90
        else:
            y -= before
        canvas.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        for line in wrapped:
            canvas.drawString(70, y, line)
            y -= size * 1.3
    canvas.showPage()
    canvas.save()
    return path


def livsmedelsstrategi_docx(path: Path) -> Path:
    """A Word document with Heading 1–3 styles, bullet and numbered lists and an indicator table."""
    document = docx.Document()
    document.core_properties.title = FOOD_TITLE
    document.add_paragraph(FOOD_TITLE, style="Title")
    document.add_paragraph(
        "Testdokument – fiktiv livsmedelsstrategi skriven för automatiska tester av RUS Search. "
        "Alla siffror och företag är påhittade."
    )
    document.add_heading("1. Bakgrund", level=1)
    document.add_paragraph(
        "Den nationella livsmedelsstrategin pekar ut riktningen mot en konkurrenskraftig och hållbar "
        "livsmedelskedja. Testlänets strategi anger hur länet ska bidra och hur den lokala produktionen ska öka."
    )
    document.add_heading("2. Vision och mål", level=1)
    document.add_paragraph(
        "Visionen är att Testlänet år 2030 producerar mer av den mat som äts i länet. "
        "Självförsörjningsgraden för livsmedel ska öka från 25 procent till 40 procent."
    )
    document.add_heading("3. Strategiska områden", level=1)
    document.add_paragraph("Strategin har fyra områden som tillsammans ska stärka hela livsmedelskedjan.")
    document.add_heading("3.1 Konsumtion och offentlig måltid", level=2)
    document.add_paragraph(
        "Kommunernas skolor och äldreboenden serverar 60 000 måltider om dagen. Andelen närproducerade "
        "livsmedel i offentliga kök ska vara minst 30 procent år 2030."
    )
    document.add_paragraph("Upphandlingar delas upp i mindre delar så att lokala producenter kan lämna anbud",
                           style="List Bullet")
    document.add_paragraph("Kockar i offentliga kök får utbildning i säsongsbaserad matlagning",
                           style="List Bullet")
    document.add_heading("3.2 Produktion och förädling", level=2)
    document.add_paragraph(
        "Antalet mjölkgårdar har halverats sedan år 2000. Regionen stöttar generationsskiften i jordbruket "
        "och investeringar i småskaliga mejerier, slakterier och bagerier."
    )
    document.add_heading("Startstöd för förädlingsföretag", level=3)
    document.add_paragraph(
        "Nya förädlingsföretag kan få ett startstöd på högst 200 000 kronor för maskiner och lokaler."
    )
    document.add_heading("3.3 Rennäring och samisk matkultur", level=2)
    document.add_paragraph(
        "Renkött är en av länets mest kända produkter. Strategin stöttar samiska företag som förädlar "
        "renkött och vill att renskötseln ska få bättre tillgång till slakterier nära renbetesmarkerna."
    )
    document.add_heading("3.4 Kunskap och innovation", level=2)
    document.add_paragraph("Regionen ska tillsammans med länets högskola:")
    document.add_paragraph("Starta ett kompetenscentrum för arktiskt jordbruk", style="List Number")
    document.add_paragraph("Testa odling i växthus som värms med spillvärme från datacenter",
                           style="List Number")
    document.add_heading("4. Uppföljning", level=1)
    document.add_paragraph("Strategin följs upp med indikatorer som redovisas vart tredje år:")
    table = document.add_table(rows=1, cols=3)
    for cell, text in zip(table.rows[0].cells, ("Indikator", "Utgångsläge 2020", "Mål 2030"), strict=True):
        cell.text = text
    for row in (("Självförsörjningsgrad", "25 %", "40 %"), ("Närproducerat i offentliga kök", "12 %", "30 %"),
                ("Antal förädlingsföretag", "140", "200")):
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    document.save(str(path))
    return path
