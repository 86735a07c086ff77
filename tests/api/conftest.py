"""API test clients for the personas: a token client each, as an integration would call."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def token_client(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anon_api():
    return APIClient()


@pytest.fixture
def rep_api(rep):
    return token_client(rep.user)


@pytest.fixture
def other_rep_api(other_rep):
    return token_client(other_rep.user)


@pytest.fixture
def manager_api(manager):
    return token_client(manager)


@pytest.fixture
def plain_api(plain_user):
    return token_client(plain_user)
