"""The application layer the services and the offline tools share: periods (named, parsed, current)
and one period's evaluation (indicators, scheme scores, the canonical document). Replay reads
sources and folds them; scoring keeps live states; both evaluate a period here."""
