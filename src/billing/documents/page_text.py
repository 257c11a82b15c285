"""The words of the public invoice page and of its payment script, per language.

English, French, German and Kinyarwanda; any other language shows English. Labels shared with
the PDF (totals, columns, bank details) come from ``billing.renderers.labels``.
"""

from __future__ import annotations

from billing.renderers.labels import STATUS_LABELS

_EN = {
    "invoice_title": "Invoice {number}",
    "download_pdf": "Download the PDF",
    "items": "Items",
    "items_caption": "Items on invoice {number}, amounts in {currency}",
    "payment_history": "Payment history",
    "payments_received": "Payments received",
    "no_payments": "No payments have been recorded for this invoice yet.",
    "date": "Date",
    "method": "Method",
    "cancelled_nothing_due": "This invoice has been cancelled; nothing is due.",
    "paid_nothing_due": "This invoice is paid in full; nothing is due.",
    "bank_transfer": "Bank transfer",
    "accepted_methods": "Accepted payment methods",
    "payment_terms_line": "Payment terms: {terms}",
    "contact_to_pay": "Contact us to arrange payment.",
    "pay_now": "Pay now",
    "pay_before": "This payment link is valid until {when}.",
    "link_expired": (
        "This payment link expired on {when}; it can no longer be paid online. "
        "Contact the seller to pay."
    ),
    "status_expired": "Expired",
    "noscript": (
        "Paying online needs JavaScript. You can still pay by bank transfer with the details "
        "shown on this page."
    ),
    "mpesa_heading": "M-Pesa",
    "mpesa_phone": "M-Pesa phone number",
    "mpesa_hint": "We send a payment request to this phone; confirm it there with your PIN.",
    "mpesa_button": "Pay {amount} with M-Pesa",
    "pesapal_heading": "Pesapal (card, mobile money)",
    "pesapal_email": "E-mail for the receipt",
    "pesapal_hint": "You continue on Pesapal's page and come back here afterwards.",
    "pesapal_button": "Continue to Pesapal",
    "card_heading": "Card",
    "card_button": "Pay {amount} by card",
    "card_confirm": "Confirm the card payment",
    "mollie_heading": "Mollie",
    "mollie_hint": "You continue on Mollie's page and come back here afterwards.",
    "mollie_button": "Continue to Mollie",
    "cod_heading": "Cash on delivery",
    "cod_hint": "Pay the delivery agent in cash; you receive a code to give them.",
    "cod_button": "Pay cash on delivery",
    "msg_sending": "Sending the payment request…",
    "msg_mpesa_sent": "Check your phone and enter your M-Pesa PIN to pay.",
    "msg_waiting": "Waiting for the payment to be confirmed…",
    "msg_paid": "Payment received. Thank you!",
    "msg_failed": "The payment did not go through. You can try again.",
    "msg_cancelled": "The payment was cancelled. You can try again.",
    "msg_attempt_expired": "The payment request expired. You can try again.",
    "msg_redirecting": "Taking you to the payment page…",
    "msg_error": "Something went wrong. Please try again.",
    "msg_link_expired": "This payment link has expired; it can no longer be paid online.",
    "msg_card_unavailable": "Card payments are not available right now.",
    "msg_phone_invalid": "Enter a valid M-Pesa phone number, for example 0712 345 678.",
    "msg_cod_code": (
        "Your code is {code}. Give it to the delivery agent only after you have handed over "
        "the cash."
    ),
    **STATUS_LABELS["en"],
}

_FR = {
    **_EN,
    "invoice_title": "Facture {number}",
    "download_pdf": "Télécharger le PDF",
    "items": "Articles",
    "items_caption": "Articles de la facture {number}, montants en {currency}",
    "payment_history": "Historique des paiements",
    "payments_received": "Paiements reçus",
    "no_payments": "Aucun paiement n'a encore été enregistré pour cette facture.",
    "date": "Date",
    "method": "Moyen",
    "cancelled_nothing_due": "Cette facture a été annulée ; rien n'est dû.",
    "paid_nothing_due": "Cette facture est entièrement payée ; rien n'est dû.",
    "bank_transfer": "Virement bancaire",
    "accepted_methods": "Moyens de paiement acceptés",
    "payment_terms_line": "Conditions de paiement : {terms}",
    "contact_to_pay": "Contactez-nous pour convenir du paiement.",
    "pay_now": "Payer maintenant",
    "pay_before": "Ce lien de paiement est valable jusqu'au {when}.",
    "link_expired": (
        "Ce lien de paiement a expiré le {when} ; la facture ne peut plus être payée en "
        "ligne. Contactez le vendeur pour la régler."
    ),
    "status_expired": "Expiré",
    "noscript": (
        "Le paiement en ligne nécessite JavaScript. Vous pouvez toujours payer par virement "
        "avec les coordonnées indiquées sur cette page."
    ),
    "mpesa_phone": "Numéro de téléphone M-Pesa",
    "mpesa_hint": (
        "Nous envoyons une demande de paiement à ce téléphone ; confirmez-la avec votre code."
    ),
    "mpesa_button": "Payer {amount} avec M-Pesa",
    "pesapal_heading": "Pesapal (carte, mobile money)",
    "pesapal_email": "E-mail pour le reçu",
    "pesapal_hint": "Vous continuez sur la page de Pesapal puis revenez ici.",
    "pesapal_button": "Continuer vers Pesapal",
    "card_heading": "Carte",
    "card_button": "Payer {amount} par carte",
    "card_confirm": "Confirmer le paiement par carte",
    "mollie_hint": "Vous continuez sur la page de Mollie puis revenez ici.",
    "mollie_button": "Continuer vers Mollie",
    "cod_heading": "Paiement à la livraison",
    "cod_hint": "Payez le livreur en espèces ; vous recevez un code à lui remettre.",
    "cod_button": "Payer à la livraison",
    "msg_sending": "Envoi de la demande de paiement…",
    "msg_mpesa_sent": "Regardez votre téléphone et saisissez votre code M-Pesa pour payer.",
    "msg_waiting": "En attente de la confirmation du paiement…",
    "msg_paid": "Paiement reçu. Merci !",
    "msg_failed": "Le paiement n'a pas abouti. Vous pouvez réessayer.",
    "msg_cancelled": "Le paiement a été annulé. Vous pouvez réessayer.",
    "msg_attempt_expired": "La demande de paiement a expiré. Vous pouvez réessayer.",
    "msg_redirecting": "Redirection vers la page de paiement…",
    "msg_error": "Une erreur s'est produite. Veuillez réessayer.",
    "msg_link_expired": (
        "Ce lien de paiement a expiré ; la facture ne peut plus être payée en ligne."
    ),
    "msg_card_unavailable": "Le paiement par carte n'est pas disponible pour le moment.",
    "msg_phone_invalid": "Saisissez un numéro M-Pesa valide, par exemple 0712 345 678.",
    "msg_cod_code": (
        "Votre code est {code}. Ne le donnez au livreur qu'après lui avoir remis l'argent."
    ),
    **STATUS_LABELS["fr"],
}

_DE = {
    **_EN,
    "invoice_title": "Rechnung {number}",
    "download_pdf": "PDF herunterladen",
    "items": "Positionen",
    "items_caption": "Positionen der Rechnung {number}, Beträge in {currency}",
    "payment_history": "Zahlungsverlauf",
    "payments_received": "Erhaltene Zahlungen",
    "no_payments": "Für diese Rechnung wurde noch keine Zahlung erfasst.",
    "date": "Datum",
    "method": "Zahlungsart",
    "cancelled_nothing_due": "Diese Rechnung wurde storniert; es ist nichts zu zahlen.",
    "paid_nothing_due": "Diese Rechnung ist vollständig bezahlt; es ist nichts zu zahlen.",
    "bank_transfer": "Überweisung",
    "accepted_methods": "Akzeptierte Zahlungsarten",
    "payment_terms_line": "Zahlungsbedingungen: {terms}",
    "contact_to_pay": "Bitte kontaktieren Sie uns, um die Zahlung zu vereinbaren.",
    "pay_now": "Jetzt bezahlen",
    "pay_before": "Dieser Zahlungslink gilt bis {when}.",
    "link_expired": (
        "Dieser Zahlungslink ist am {when} abgelaufen; die Rechnung kann nicht mehr online "
        "bezahlt werden. Bitte wenden Sie sich an den Verkäufer."
    ),
    "status_expired": "Abgelaufen",
    "noscript": (
        "Online-Zahlung braucht JavaScript. Sie können weiterhin per Überweisung mit den "
        "Angaben auf dieser Seite zahlen."
    ),
    "mpesa_phone": "M-Pesa-Telefonnummer",
    "mpesa_hint": "Wir senden eine Zahlungsanfrage an dieses Telefon; bestätigen Sie sie dort.",
    "mpesa_button": "{amount} mit M-Pesa bezahlen",
    "pesapal_heading": "Pesapal (Karte, Mobile Money)",
    "pesapal_email": "E-Mail für die Quittung",
    "pesapal_hint": "Sie zahlen auf der Seite von Pesapal und kehren danach hierher zurück.",
    "pesapal_button": "Weiter zu Pesapal",
    "card_heading": "Karte",
    "card_button": "{amount} mit Karte bezahlen",
    "card_confirm": "Kartenzahlung bestätigen",
    "mollie_hint": "Sie zahlen auf der Seite von Mollie und kehren danach hierher zurück.",
    "mollie_button": "Weiter zu Mollie",
    "cod_heading": "Zahlung bei Lieferung",
    "cod_hint": "Sie zahlen bar beim Zusteller und erhalten einen Code für ihn.",
    "cod_button": "Bei Lieferung bezahlen",
    "msg_sending": "Zahlungsanfrage wird gesendet…",
    "msg_mpesa_sent": "Bitte bestätigen Sie die Zahlung auf Ihrem Telefon mit Ihrer M-Pesa-PIN.",
    "msg_waiting": "Warten auf die Bestätigung der Zahlung…",
    "msg_paid": "Zahlung erhalten. Vielen Dank!",
    "msg_failed": "Die Zahlung ist nicht durchgegangen. Sie können es erneut versuchen.",
    "msg_cancelled": "Die Zahlung wurde abgebrochen. Sie können es erneut versuchen.",
    "msg_attempt_expired": "Die Zahlungsanfrage ist abgelaufen. Sie können es erneut versuchen.",
    "msg_redirecting": "Weiter zur Zahlungsseite…",
    "msg_error": "Etwas ist schiefgegangen. Bitte versuchen Sie es erneut.",
    "msg_link_expired": "Dieser Zahlungslink ist abgelaufen.",
    "msg_card_unavailable": "Kartenzahlung ist gerade nicht verfügbar.",
    "msg_phone_invalid": "Bitte geben Sie eine gültige M-Pesa-Nummer ein, z. B. 0712 345 678.",
    "msg_cod_code": (
        "Ihr Code lautet {code}. Geben Sie ihn dem Zusteller erst, nachdem Sie bar bezahlt haben."
    ),
    **STATUS_LABELS["de"],
}

_RW = {
    **_EN,
    "invoice_title": "Fagitire {number}",
    "download_pdf": "Kuramo PDF",
    "items": "Ibicuruzwa",
    "items_caption": "Ibicuruzwa biri kuri fagitire {number}, amafaranga ari muri {currency}",
    "payment_history": "Amateka y'ubwishyu",
    "payments_received": "Ubwishyu bwakiriwe",
    "no_payments": "Nta bwishyu buranditswe kuri iyi fagitire.",
    "date": "Itariki",
    "method": "Uburyo",
    "cancelled_nothing_due": "Iyi fagitire yarahagaritswe; nta kwishyura gukenewe.",
    "paid_nothing_due": "Iyi fagitire yishyuwe yose; nta kwishyura gukenewe.",
    "bank_transfer": "Kohereza muri banki",
    "accepted_methods": "Uburyo bwo kwishyura bwemewe",
    "payment_terms_line": "Amabwiriza yo kwishyura: {terms}",
    "contact_to_pay": "Twandikire tuganire uko wakwishyura.",
    "pay_now": "Ishyura nonaha",
    "pay_before": "Iyi link yo kwishyura izarangira ku wa {when}.",
    "link_expired": (
        "Iyi link yo kwishyura yarangiye ku wa {when}; ntishobora kongera kwishyurwa kuri "
        "interineti. Vugana n'ugurisha kugira ngo wishyure."
    ),
    "status_expired": "Yarangiye",
    "noscript": (
        "Kwishyura kuri interineti bisaba JavaScript. Ushobora kwishyura unyuze muri banki "
        "ukoresheje amakuru ari kuri uru rupapuro."
    ),
    "mpesa_phone": "Nomero ya telefoni ya M-Pesa",
    "mpesa_hint": "Twohereza icyifuzo cyo kwishyura kuri iyi telefoni; ucyemeze ukoresheje PIN.",
    "mpesa_button": "Ishyura {amount} na M-Pesa",
    "pesapal_heading": "Pesapal (ikarita, mobile money)",
    "pesapal_email": "Imeyili yo kohererezwaho inyemezabwishyu",
    "pesapal_hint": "Ukomereza ku rupapuro rwa Pesapal hanyuma ukagaruka hano.",
    "pesapal_button": "Komeza kuri Pesapal",
    "card_heading": "Ikarita",
    "card_button": "Ishyura {amount} n'ikarita",
    "card_confirm": "Emeza kwishyura n'ikarita",
    "mollie_hint": "Ukomereza ku rupapuro rwa Mollie hanyuma ukagaruka hano.",
    "mollie_button": "Komeza kuri Mollie",
    "cod_heading": "Kwishyura ugejejweho ibicuruzwa",
    "cod_hint": "Wishyura uwakuzaniye ibicuruzwa mu ntoki; uhabwa kode yo kumuha.",
    "cod_button": "Nzishyura ngejejweho ibicuruzwa",
    "msg_sending": "Icyifuzo cyo kwishyura kiroherezwa…",
    "msg_mpesa_sent": "Reba kuri telefoni yawe maze wandike PIN ya M-Pesa kugira ngo wishyure.",
    "msg_waiting": "Dutegereje ko ubwishyu bwemezwa…",
    "msg_paid": "Ubwishyu bwakiriwe. Murakoze!",
    "msg_failed": "Kwishyura ntibyakunze. Ongera ugerageze.",
    "msg_cancelled": "Kwishyura byahagaritswe. Ongera ugerageze.",
    "msg_attempt_expired": "Igihe cyo kwishyura cyarangiye. Ongera ugerageze.",
    "msg_redirecting": "Turakujyana ku rupapuro rwo kwishyura…",
    "msg_error": "Habaye ikibazo. Ongera ugerageze.",
    "msg_link_expired": "Iyi link yo kwishyura yarangiye.",
    "msg_card_unavailable": "Kwishyura n'ikarita ntibishoboka ubu.",
    "msg_phone_invalid": "Andika nomero ya M-Pesa nyayo, urugero 0712 345 678.",
    "msg_cod_code": (
        "Kode yawe ni {code}. Yihe uwakuzaniye ibicuruzwa nyuma yo kumuha amafaranga gusa."
    ),
    **STATUS_LABELS["rw"],
}

PAGE_TEXT: dict[str, dict[str, str]] = {"en": _EN, "fr": _FR, "de": _DE, "rw": _RW}

SCRIPT_MESSAGES = tuple(key for key in _EN if key.startswith("msg_"))
"""The words the payment script shows (sent to it with the page)."""


def page_text(language: str) -> dict[str, str]:
    """The page's words in ``language`` (English for others)."""
    return PAGE_TEXT.get(language.split("-")[0].lower(), _EN)
