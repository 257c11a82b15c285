"""Credit notes that move money: issuing one on an invoice, and the credit notes of refunds."""
