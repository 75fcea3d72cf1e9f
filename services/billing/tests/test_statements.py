"""Issue 18, item 8: statements as Chinese banks and wallets export them — GB18030 CSV with title and total
rows and separate debit/credit columns, XLSX with a mapping saved for the estate, WeChat Pay's and Alipay's
merchant bills, the date forms banks use — reconciled; each refusal names the row and the column."""

from __future__ import annotations

import io

from openpyxl import Workbook

from .conftest import fee, run


async def import_(s, fmt: str, body: bytes, mapping: str | None = None):
    return await s["billing"].post(
        f"/v1/estates/{s['eid']}/bank-statements",
        headers={**s["finance"], "content-type": "application/octet-stream"},
        params={"format": fmt, **({"mapping": mapping} if mapping else {})},
        content=body,
    )


async def owing(s) -> dict[str, int]:
    items = (
        await s["billing"].get(
            f"/v1/estates/{s['eid']}/invoices", headers=s["finance"], params={"limit": 100}
        )
    ).json()["items"]
    return {i["unit_id"]: i["total_fen"] - i["paid_fen"] for i in items}


async def balances(s) -> dict[str, int]:
    tb = (await s["billing"].get(f"/v1/estates/{s['eid']}/trial-balance", headers=s["finance"])).json()
    assert tb["balanced"]
    return {a["account"]: a["balance_fen"] for a in tb["accounts"]}


async def test_a_gb18030_bank_export_with_debit_and_credit_columns(site):
    s = site
    await fee(s)  # ¥2.50/m²: 250.00, 296.25, 222.50 for the three homes
    await run(s, "2026-12")
    text = "\n".join(
        [
            "中国工商银行 账户明细查询",
            "账号：1202 0000 0000 0000 000,户名：阳明山庄物业服务中心",
            "交易日期,凭证号,摘要,借方发生额,贷方发生额,余额,对方户名",
            "2026/12/02,ICBC-0001,A1-0101 物业费,,250.00,10250.00,王建国",
            '20261202,ICBC-0002,A1-0201 物业费,,"296.25",10546.25,张三',
            "2026年12月3日,ICBC-0003,A1-0301 物业费,,222.50,10768.75,李四",
            "2026-12-03 10:22:11,ICBC-0004,手续费,5.00,,10763.75,",
            "合计,,,5.00,768.75,,",
        ]
    )
    r = await import_(s, "csv", text.encode("gb18030"))
    assert r.status_code == 200, r.text
    assert r.json()["matched"] == 3
    assert all(v == 0 for v in (await owing(s)).values())
    lines = (await s["billing"].get(f"/v1/estates/{s['eid']}/statement-lines", headers=s["finance"])).json()[
        "items"
    ]
    assert sorted(x["booked_on"] for x in lines) == ["2026-12-02", "2026-12-02", "2026-12-03"]
    assert {x["payer_name"] for x in lines} == {"王建国", "张三", "李四"}  # Chinese read right
    again = await import_(s, "csv", text.encode("gb18030"), mapping="icbc")  # the preset reads it too
    assert again.status_code == 200 and again.json()["matched"] == 0  # nothing twice


async def test_refusals_name_the_row_and_the_column(site):
    s = site
    bad = "交易日期,流水号,贷方发生额,借方发生额\n2026-12-02,R1,100.00,\n2026-12-02,R2,一百元,\n"
    r = await import_(s, "csv", bad.encode("utf-8-sig"))
    assert r.status_code == 422
    assert (r.json()["row"], r.json()["column"]) == (3, "贷方发生额")
    zh = await s["billing"].post(
        f"/v1/estates/{s['eid']}/bank-statements",
        headers={**s["finance"], "Accept-Language": "zh-CN", "content-type": "text/plain"},
        params={"format": "csv"},
        content=bad.encode(),
    )
    assert "第 3 行「贷方发生额」列" in zh.json()["detail"]
    when = "交易日期,流水号,金额\n2026-13-45,R1,1.00\n"
    r = await import_(s, "csv", when.encode())
    assert r.status_code == 422 and (r.json()["row"], r.json()["column"]) == (2, "交易日期")
    nothing = await import_(s, "csv", b"a,b\n1,2\n")
    assert nothing.status_code == 422 and "列映射" in nothing.json()["detail"]
    missing = await import_(
        s, "csv", "交易日期,金额\n".encode(), mapping='{"date": "日期", "amount": "金额"}'
    )
    assert missing.status_code == 422 and "日期" in missing.json()["detail"]
    assert (await import_(s, "xlsx", b"not a workbook")).status_code == 422
    assert (await import_(s, "wechat", "交易日期,金额\n".encode())).status_code == 422
    assert (await import_(s, "csv", b"\xff\xfe\x00\x00\x81\x30")).status_code == 422


async def test_an_xlsx_export_with_a_mapping_saved_for_the_estate(site):
    s = site
    await fee(s)
    await run(s, "2026-12")
    url = f"/v1/estates/{s['eid']}/statement-mappings/our-bank"
    columns = {
        "date": "记账日",
        "credit": "收入(元)",
        "debit": "支出(元)",
        "reference": "交易号",
        "memo": "附言",
    }
    assert (await s["billing"].put(url, headers=s["finance"], json={"date": "x"})).status_code == 422
    saved = await s["billing"].put(url, headers=s["finance"], json=columns)
    assert saved.status_code == 200, saved.text
    listed = (
        await s["billing"].get(f"/v1/estates/{s['eid']}/statement-mappings", headers=s["finance"])
    ).json()
    assert {m["name"] for m in listed} >= {"our-bank", "icbc", "ccb", "abc", "boc", "cmb"}
    book = Workbook()
    sheet = book.active
    sheet.append(["账户明细"])
    sheet.append(["记账日", "交易号", "收入(元)", "支出(元)", "附言"])
    sheet.append(["2026-12-02", "X-1", 250, None, "A1-0101 物业费"])
    sheet.append(["2026/12/03", "X-2", "296.25", None, "A1-0201 物业费"])
    import datetime as dt

    sheet.append([dt.datetime(2026, 12, 3, 9, 30), "X-3", None, 12.5, "转出"])
    buffer = io.BytesIO()
    book.save(buffer)
    r = await import_(s, "xlsx", buffer.getvalue(), mapping="our-bank")
    assert r.status_code == 200, r.text
    assert r.json()["matched"] == 2
    left = await owing(s)
    assert (
        left[s["units"][0]["id"]] == 0
        and left[s["units"][1]["id"]] == 0
        and left[s["units"][2]["id"]] == 22_250
    )


WECHAT = """交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注
`2026-12-02 09:15:01,`wx8888888888888888,`1900000109,`0,`,`4200001234202612020000000001,`PD{inv},`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`CMB_CREDIT,`CNY,`250.00,`0.00,`0,`0,`0.00,`0.00,`,`,`物业费,`A1-0101,`1.50000,`0.60%,`250.00,`0.00,`
`2026-12-02 10:00:00,`wx8888888888888888,`1900000109,`0,`,`4200001234202612020000000002,`PDX2,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6p,`JSAPI,`REVOKED,`CMB_CREDIT,`CNY,`9.00,`0.00,`0,`0,`0.00,`0.00,`,`,`物业费,`,`0.00000,`0.60%,`9.00,`0.00,`
总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额
`2,`259.00,`0.00,`0.00,`1.50000,`259.00,`0.00
"""

ALIPAY = """#支付宝业务明细查询
#账号：[20881234567890120156]
#起始日期：[2026年12月01日 00:00:00]   终止日期：[2026年12月04日 00:00:00]
#-----------------------------------------业务明细列表----------------------------------------
支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注
2026120222001400001234567890	,PD0002	,交易	,A1-0201 物业费	,2026-12-02 11:00:00	,2026-12-02 11:00:05	,	,	,	,	,张三(zha***@163.com)	,296.25	,296.25	,0.00	,0.00	,0.00	,0.00	,0.00	,	,0.00	,0.00	,	,-1.78	,0.00	,
#-----------------------------------------业务明细列表结束------------------------------------
#交易合计：1笔，商家实收共296.25元，商家优惠共0.00元
#导出时间：[2026年12月04日 09:00:00]
"""


async def test_wechat_pay_and_alipay_merchant_bills_land_in_their_own_accounts(site):
    s = site
    await fee(s)
    await run(s, "2026-12")
    r = await import_(s, "wechat", WECHAT.format(inv="0001").encode("utf-8-sig"))
    assert r.status_code == 200, r.text
    assert r.json()["matched"] == 1  # the revoked order is not money
    r = await import_(s, "alipay", ALIPAY.encode("gb18030"))
    assert r.status_code == 200, r.text
    assert r.json()["matched"] == 1
    left = await owing(s)
    assert left[s["units"][0]["id"]] == 0 and left[s["units"][1]["id"]] == 0
    by = await balances(s)
    assert by["101201"] == 25_000 and by["101202"] == 29_625  # WeChat Pay's and Alipay's money
    again = await import_(s, "alipay", ALIPAY.encode("gb18030"))
    assert again.status_code == 200 and again.json()["matched"] == 0
