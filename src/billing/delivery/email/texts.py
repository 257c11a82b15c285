"""The words of every e-mail, per language (English, German, French, Swahili); the templates
hold the layout. An unknown language reads English."""

from __future__ import annotations

from typing import Final

DEFAULT_LANGUAGE = "en"

TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "invoice_subject": "Invoice {number} from {operator}",
        "reminder_subject_before": "Reminder: invoice {number} is due on {due_date}",
        "reminder_subject_due": "Invoice {number} is due today",
        "reminder_subject_after": "Overdue: invoice {number} was due on {due_date}",
        "payment_link_subject": "Payment request {number} from {operator}",
        "greeting": "Hello {name},",
        "invoice_body": "please find attached invoice {number} of {issue_date}.",
        "reminder_before": "this is a friendly reminder that invoice {number} is due on "
        "{due_date}.",
        "reminder_due": "invoice {number} is due today.",
        "reminder_after": "invoice {number} was due on {due_date} and is still unpaid.",
        "payment_link_body": "{operator} asks you to pay {number}.",
        "amount_due": "Amount due",
        "due_date": "Due date",
        "pay_online": "View and pay online",
        "attachments": "Attached",
        "ignore_if_paid": "If you have already paid, please disregard this message.",
        "regards": "Kind regards",
    },
    "de": {
        "invoice_subject": "Rechnung {number} von {operator}",
        "reminder_subject_before": "Erinnerung: Rechnung {number} ist am {due_date} fällig",
        "reminder_subject_due": "Rechnung {number} ist heute fällig",
        "reminder_subject_after": "Überfällig: Rechnung {number} war am {due_date} fällig",
        "payment_link_subject": "Zahlungsaufforderung {number} von {operator}",
        "greeting": "Guten Tag {name},",
        "invoice_body": "anbei erhalten Sie die Rechnung {number} vom {issue_date}.",
        "reminder_before": "wir erinnern Sie freundlich daran, dass die Rechnung {number} am "
        "{due_date} fällig ist.",
        "reminder_due": "die Rechnung {number} ist heute fällig.",
        "reminder_after": "die Rechnung {number} war am {due_date} fällig und ist noch offen.",
        "payment_link_body": "{operator} bittet Sie, {number} zu bezahlen.",
        "amount_due": "Offener Betrag",
        "due_date": "Fällig am",
        "pay_online": "Online ansehen und bezahlen",
        "attachments": "Anhänge",
        "ignore_if_paid": "Falls Sie bereits bezahlt haben, betrachten Sie diese Nachricht "
        "bitte als gegenstandslos.",
        "regards": "Mit freundlichen Grüßen",
    },
    "fr": {
        "invoice_subject": "Facture {number} de {operator}",
        "reminder_subject_before": "Rappel : la facture {number} est due le {due_date}",
        "reminder_subject_due": "La facture {number} est due aujourd'hui",
        "reminder_subject_after": "En retard : la facture {number} était due le {due_date}",
        "payment_link_subject": "Demande de paiement {number} de {operator}",
        "greeting": "Bonjour {name},",
        "invoice_body": "veuillez trouver ci-joint la facture {number} du {issue_date}.",
        "reminder_before": "nous vous rappelons que la facture {number} est due le {due_date}.",
        "reminder_due": "la facture {number} est due aujourd'hui.",
        "reminder_after": "la facture {number} était due le {due_date} et reste impayée.",
        "payment_link_body": "{operator} vous demande de régler {number}.",
        "amount_due": "Montant dû",
        "due_date": "Échéance",
        "pay_online": "Voir et payer en ligne",
        "attachments": "Pièces jointes",
        "ignore_if_paid": "Si vous avez déjà payé, veuillez ignorer ce message.",
        "regards": "Cordialement",
    },
    "sw": {
        "invoice_subject": "Ankara {number} kutoka {operator}",
        "reminder_subject_before": "Kumbusho: ankara {number} inadaiwa tarehe {due_date}",
        "reminder_subject_due": "Ankara {number} inadaiwa leo",
        "reminder_subject_after": "Imechelewa: ankara {number} ilidaiwa tarehe {due_date}",
        "payment_link_subject": "Ombi la malipo {number} kutoka {operator}",
        "greeting": "Habari {name},",
        "invoice_body": "tafadhali pata ankara {number} ya tarehe {issue_date} iliyoambatishwa.",
        "reminder_before": "tunakukumbusha kuwa ankara {number} inadaiwa tarehe {due_date}.",
        "reminder_due": "ankara {number} inadaiwa leo.",
        "reminder_after": "ankara {number} ilidaiwa tarehe {due_date} na bado haijalipwa.",
        "payment_link_body": "{operator} anakuomba ulipe {number}.",
        "amount_due": "Kiasi kinachodaiwa",
        "due_date": "Tarehe ya mwisho",
        "pay_online": "Tazama na ulipe mtandaoni",
        "attachments": "Viambatisho",
        "ignore_if_paid": "Ikiwa tayari umelipa, tafadhali puuza ujumbe huu.",
        "regards": "Wako",
    },
}

LANGUAGES = frozenset(TEXTS)


def texts_for(language: str | None) -> dict[str, str]:
    """The words of ``language`` (English when it has none)."""
    return TEXTS.get((language or DEFAULT_LANGUAGE).lower(), TEXTS[DEFAULT_LANGUAGE])
