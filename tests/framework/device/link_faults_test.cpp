// Seeded link faults (being written).
