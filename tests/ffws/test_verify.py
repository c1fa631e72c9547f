from tests.conftest import assert_error, assert_golden


def test_verify_answers_verified(client):
    response = client.get("/ffws/v1/verify")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    assert_golden("verify", response)


def test_missing_credentials_get_a_basic_challenge(client):
    response = client.get("/ffws/v1/verify", auth=None)
    assert_error(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == 'Basic realm="FaxFinder"'


def test_wrong_password_and_unknown_user_get_the_same_401(client):
    wrong = client.get("/ffws/v1/verify", auth=("admin", "nope"))
    unknown = client.get("/ffws/v1/verify", auth=("nobody", "nope"))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"]
