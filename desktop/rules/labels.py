"""The vocabularies of a request (codes -> what staff read); light enough to import at start-up."""

#: The vocabularies of a request; labels are what staff read.
INSURANCES = {
    "employee": "职工医保",
    "retiree": "职工医保（退休）",
    "resident": "城乡居民医保",
    "work_injury": "工伤保险",
    "maternity": "生育保险",
    "uninsured": "未参保（自费）",
}
GROUPS = {
    "general": "普通参保人员",
    "tekun": "特困人员",
    "dibao": "低保对象",
    "orphan": "孤儿",
    "de_facto_orphan": "事实无人抚养儿童",
    "poverty_relapse": "返贫致贫人口",
}
CHANNELS = {
    "outpatient": "普通门诊统筹",
    "chronic": "门诊慢特病",
    "two_diseases": "“两病”门诊用药",
    "dual_channel": "“双通道”药品",
}
PARAMETERS = {
    "first_self_pay": "个人先行自付比例",
    "fund_ratio": "统筹基金支付比例",
    "deductible": "起付线",
    "cap": "年度最高支付限额",
}
#: Conditions staff may confirm; the codes of ``Eligibility.conditions``.
CONDITIONS = {
    "restriction": "符合限定支付范围",
    "second_line": "有一线药品无效或不能耐受的证据（二线用药）",
    "filing": "“双通道”备案已审核生效",
    "e_prescription": "处方经电子处方中心流转",
    "responsible_physician": "由责任医师开具/审核",
    "three_fixed": "符合“三定”管理（定机构、定医师、定患者）",
    "treatment_approval": "“双通道”待遇已经认定（待遇审核）",
}
