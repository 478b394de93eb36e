from django.http import JsonResponse

from profiles.avatars import avatar_url, save_avatar


def upload(request, user_id):
    save_avatar(user_id, request.FILES["avatar"])
    return JsonResponse({"url": avatar_url(user_id)})
