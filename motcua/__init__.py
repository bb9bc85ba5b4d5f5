"""motcua: the one-stop administrative-procedure system and electronic office of a province."""
