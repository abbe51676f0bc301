"""Staff pages of the closed loop (差评整改) at /cases/ on a tenant's host: the case list with the live
closed-loop indicators, one case with its history and the forms of the actions allowed now, the overdue board
and spot checks. Thin: parse a form, call one service or selector, render."""
