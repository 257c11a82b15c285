"""Credit notes: documents of their own (type 381) that correct an issued invoice.

``planning`` works out what a credit note may credit (what remains of each line, VAT group and
the total) and what it contains; ``service`` issues it under the invoice's row lock, with its own
gap-free number, frozen copies of the parties, and the invoice's credited amount and lifecycle
following. Moving paid money (refunds, wallet credit) is the payments domain's part
(``billing.payments.credit_notes``): invoicing never imports payments.
"""
