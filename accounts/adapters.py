from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """allauth adapter; usernames are normalised to lowercase like the API does."""

    def clean_username(self, username: str, shallow: bool = False) -> str:
        return super().clean_username(username.lower(), shallow=shallow)
