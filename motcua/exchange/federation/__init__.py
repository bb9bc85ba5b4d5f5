"""Federation between provinces: a land dossier received here for a parcel in a province served
by a peer installation is handed over to it, and its statuses and result come back.

``coverage.peer_for_ward`` says which active province peer serves a ward of another province;
``services`` hands dossiers over (in the transaction of their acceptance), registers the
dossiers peers hand over to us, and carries statuses and results both ways.
"""
