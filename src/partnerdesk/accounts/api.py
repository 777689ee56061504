"""JSON API for the signed-in user."""

from ninja import Router, Schema

router = Router()


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    company_id: int | None
    client_role: str
    language: str


@router.get("/me", response=MeOut, tags=["accounts"], summary="The signed-in user")
def me(request):
    return request.auth
