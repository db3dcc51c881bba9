from tests.factories import make_user


def test_shown_name_is_the_display_name(db):
    assert make_user(username="kim", display_name="Kim Lee").shown_name == "Kim Lee"


def test_shown_name_falls_back_to_the_username(db):
    user = make_user(username="kim", display_name="")
    assert user.shown_name == "kim"
    assert str(user) == "kim"
