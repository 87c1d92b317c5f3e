"""One module per exercise: the scenarios to run and the checks to judge them by."""
