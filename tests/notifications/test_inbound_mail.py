"""The shared inbound-mail pipeline: automatic mail is recognised from its headers, subject and
sender; a reply's text loses its quoted history, attribution line, signature and trailing
sign-off in every UI language, and nothing a person wrote in the middle of it."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.conf import settings
from mailparser_reply.constants import MAIL_LANGUAGES

from partnerdesk.notifications import inbound_mail
from partnerdesk.notifications.inbound_mail import clean_reply, is_automatic


def message(sender="mario@nile-dental.example", subject="Re: [Agency] Merge", **headers):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "reply+abc@reply.localhost"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("Away until Monday.")
    return msg


# ---------------------------------------------------------------- automatic mail


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Auto_Submitted": "auto-generated"},
        {"Auto_Submitted": "auto-replied; owner-email=mario@nile-dental.example"},
        {"X_Autoreply": "yes"},
        {"X_Autorespond": "Out of office"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "List"},
        {"Precedence": "auto_reply"},
        {"List_Id": "<clients.nile-dental.example>"},
        {"Return_Path": "<>"},
        {"subject": "Automatic reply: Re: [Agency] Merge"},
        {"subject": "Auto-Reply: Re: [Agency] Merge"},
        {"subject": "Out of Office: Re: [Agency] Merge"},
        {"subject": "[Out of the office] Re: [Agency] Merge"},
        {"subject": "Risposta automatica: Re: [Agency] Merge"},
        {"subject": "Fuori ufficio: Re: [Agency] Merge"},
        {"subject": "رد تلقائي: Re: [Agency] Merge"},
        {"subject": "\u200fرد تلقائي: Re: [Agency] Merge"},
        {"subject": "خارج المكتب: Re: [Agency] Merge"},
        {"sender": "MAILER-DAEMON@mx.nile-dental.example"},
        {"sender": "postmaster@nile-dental.example"},
        {"sender": "no-reply@nile-dental.example"},
        {"sender": "noreply+bounces@nile-dental.example"},
        {"sender": "do-not-reply@nile-dental.example"},
        {"sender": ""},
    ],
)
def test_automatic_mail_is_recognised(headers):
    assert is_automatic(message(**headers))
    assert inbound_mail.automatic_reason(message(**headers))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Auto_Submitted": "no"},
        {"X_Autoreply": "no"},
        {"Precedence": "normal"},
        {"subject": "Re: [Agency] Out of office coverage next week"},
        {"subject": "Re: Automatic replies are annoying"},
        {"sender": "noreen@nile-dental.example"},
        {"sender": "replyteam@nile-dental.example"},
    ],
)
def test_mail_a_person_wrote_is_not_automatic(headers):
    assert not is_automatic(message(**headers))


def test_a_delivery_report_is_automatic():
    report = EmailMessage()
    report["From"] = "mx@nile-dental.example"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.set_content("The mail could not be delivered.")
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    assert is_automatic(report)


# ---------------------------------------------------------------- languages


def test_the_parser_knows_each_language_we_ask_of_it():
    assert set(inbound_mail.PARSER_LANGUAGES) <= set(MAIL_LANGUAGES)


def test_every_ui_language_is_covered_by_the_parser_or_by_our_rules():
    for code, _name in settings.LANGUAGES:
        assert code in inbound_mail.PARSER_LANGUAGES or (
            code in inbound_mail.OWN_LANGUAGES
            and code in inbound_mail.SIGN_OFFS
            and code in inbound_mail.MOBILE_SIGNATURES
        ), code


# ---------------------------------------------------------------- cleaning a reply


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        pytest.param(
            "Sure, go ahead.\n\nKind regards\nMario Rossi | Operations Manager\nNile Dental\n"
            "Tel +39 02 1234 5678\nwww.nile-dental.example\n\n"
            "________________________________\nFrom: Agency <a@agency.example>\n"
            "Sent: Monday, 1 December 2026 10:00\nTo: Mario Rossi <m@nile.example>\n"
            "Subject: [Agency] Merge\n\nWhich property?\n",
            "Sure, go ahead.",
            id="outlook-en",
        ),
        pytest.param(
            "Va bene, procedete.\n\nCordiali saluti\nMario Rossi | Responsabile operativo\n"
            "Nile Dental S.r.l.\nTel +39 02 1234 5678\n\n________________________________\n"
            "Da: Agency <a@agency.example>\nInviato: lunedì 1 dicembre 2026 10:00\n"
            "A: Mario Rossi\nOggetto: [Agency] Merge\n\nWhich property?\n",
            "Va bene, procedete.",
            id="outlook-it",
        ),
        pytest.param(
            "Va bene.\n\nDistinti saluti,\nMario Rossi\nTel. +39 02 1234 5678\n",
            "Va bene.",
            id="distinti-saluti",
        ),
        pytest.param(
            "Perfect, thanks.\n\nBest regards,\nMario\n\nSent from my iPhone\n",
            "Perfect, thanks.",
            id="sign-off-then-phone",
        ),
        pytest.param("Yes.\n\nCheers, Mario\n", "Yes.", id="name-on-the-sign-off-line"),
        pytest.param("Yes please.\n\nSent from my iPhone", "Yes please.", id="iphone-en"),
        pytest.param("Yes.\n\nGet Outlook for iOS", "Yes.", id="outlook-mobile"),
        pytest.param("Sì.\n\nInviato da iPhone", "Sì.", id="iphone-it"),
        pytest.param("Sì.\n\nInviato dal mio iPhone", "Sì.", id="iphone-it-mio"),
        pytest.param("نعم.\n\nأرسلت من الـ iPhone", "نعم.", id="iphone-ar"),
        pytest.param("نعم.\n\nمرسل من iPhone", "نعم.", id="iphone-ar-2"),
        pytest.param("نعم.\n\nأُرسلت من iPhone الخاص بي", "نعم.", id="iphone-ar-3"),
        pytest.param(
            "تم، شكراً.\n\nمع أطيب التحيات،\nفلان الفلاني\nمدير العمليات\n",
            "تم، شكراً.",
            id="sign-off-ar",
        ),
        pytest.param("تم الدمج.\n\nشكراً جزيلاً\nفلان", "تم الدمج.", id="thanks-ar"),
        pytest.param(
            "نعم، الأحدث.\n\nفي الأحد، 1 ديسمبر 2026 في 10:00 ص، كتب فلان <x@y.example>:\n"
            "> Which property?\n> Thanks\n",
            "نعم، الأحدث.",
            id="attribution-ar",
        ),
        pytest.param(
            "نعم.\n\n\u200fفي الأحد، ١ ديسمبر ٢٠٢٦ في ١٠:٠٠ ص، كتب فلان <x@y.example>:\u200f\n"
            "> Which property?\n",
            "نعم.",
            id="attribution-ar-rtl-marks-and-arabic-digits",
        ),
        pytest.param(
            "نعم.\n\nفي الأحد، 1 ديسمبر 2026 في 10:00 ص، كتب فلان <\nx@y.example>:\n> Which?\n",
            "نعم.",
            id="attribution-ar-wrapped",
        ),
        pytest.param(
            "موافق.\n\nمن: Agency <a@agency.example>\nتم الإرسال: الاثنين، 1 ديسمبر 2026\n"
            "إلى: فلان\nالموضوع: دمج\n\nWhich property?",
            "موافق.",
            id="outlook-ar",
        ),
        pytest.param(
            "OK.\n\nOn Mon, 1 Dec 2026 at 10:00, Agency <a@agency.example> wrote:\n> Which?\n",
            "OK.",
            id="attribution-en",
        ),
        pytest.param(
            "Va bene.\n\nIl giorno lun 1 dic 2026 alle ore 10:00 Agency <a@agency.example> "
            "ha scritto:\n> Which?\n",
            "Va bene.",
            id="attribution-it",
        ),
        pytest.param("Fine.\n\n-- \nMario Rossi\nNile Dental", "Fine.", id="signature-delimiter"),
        pytest.param("\n\nOn Mon, Agency <a@agency.example> wrote:\n> Which?\n", "", id="empty"),
    ],
)
def test_clean_reply_removes_history_signatures_and_sign_offs(text, clean):
    assert clean_reply(text) == clean


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "With regards to the stages, keep Customer last.\n"
            "Kind regards to the team for the quick fix, it works now.\n"
            "Please also merge the two companies.",
            id="regards-mid-text",
        ),
        pytest.param(
            "Please merge them.\nBest regards are not needed here.", id="regards-sentence"
        ),
        pytest.param(
            "Thanks, that works.\nNow please also fix the deal stages.", id="thanks-then-text"
        ),
        pytest.param("Done.\nThanks for your help", id="thanks-sentence"),
        pytest.param("Thanks!", id="only-a-thank-you"),
        pytest.param("Do these:\n- one\n- two", id="hyphen-list"),
        pytest.param(
            "Done.\n\nBest,\nMario\n\nP.S. also check the deals pipeline", id="post-scriptum"
        ),
        pytest.param(
            "Done.\n\nThanks,\nMario\nCan you also look at the renewal dates?",
            id="question-after-sign-off",
        ),
        pytest.param("Grazie, il problema è risolto.", id="grazie-sentence"),
        pytest.param("شكرا، تم حل المشكلة وكل شيء يعمل الآن.", id="thanks-ar-sentence"),
        pytest.param("Inviato da Mario il contratto firmato.", id="inviato-da-sentence"),
        pytest.param(
            "في الاجتماع كتب المدير ما يلي:\nيجب دمج الشركتين.", id="arabic-text-not-attribution"
        ),
    ],
)
def test_clean_reply_keeps_what_a_person_wrote(text):
    assert clean_reply(text) == text.strip()
