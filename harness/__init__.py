"""netmodels harness: the command line now; the load driver, runner and results later."""
