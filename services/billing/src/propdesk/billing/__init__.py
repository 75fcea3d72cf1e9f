"""billing: Fee schedules, invoice runs, payments, double-entry ledger, arrears and dunning, deposits, bank reconciliation."""
