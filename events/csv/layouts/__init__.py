"""Dataset layouts the events app imports (UCDP GED, Oryx): each module declares NAME, REQUIRED,
WRITES, PERMISSIONS and apply(), and events.csv.register registers it as a
conflictdb.csvio.layouts.ImportLayout."""
