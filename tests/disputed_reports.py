"""Two outlets' reports of one flood that give different death tolls: a disputed answer's
test data, shared by tests/test_disputes.py and the widget's browser tests (written by the
project; the valley and the river are made up)."""

FLOOD_A = (
    "date 2024-05-02 Floods in the Arlen valley\n\n"
    "At least 12 people were killed when the Arlen river burst its banks on Tuesday, the "
    "regional governor said.\n"
    "Rescue teams reached the village of Marrow by boat on Wednesday morning.\n"
    "The army sent two helicopters to carry supplies to cut-off farms.\n"
)
FLOOD_B = (
    "date 2024-05-03 Arlen valley counts the cost\n\n"
    "Nine people were killed when the Arlen river burst its banks on Tuesday, according "
    "to the regional health service.\n"
    "Schools in the valley will stay closed until the water recedes.\n"
    "Farmers said the flood destroyed most of the spring harvest.\n"
)
FLOOD_Q = "How many people were killed when the Arlen river burst its banks?"
