"""Public checkout: M-Pesa STK push and Pesapal orders started by the payer."""
